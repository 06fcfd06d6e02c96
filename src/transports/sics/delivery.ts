// When a Consume answer counts as delivered, for Automatic acknowledgement (docs/protocol.md
// §8.2). Written completely to the connection is necessary but, on its own, not enough: a client
// that gives up just as the answer arrives (its timeout fires before it reads) discards it
// unread, and its system then resets the connection rather than closing it. So an answer is
// delivered once it was written and the connection was neither reset nor cut within a moment
// after; a client that keeps the connection open for its next poll, or closes it after reading,
// shows neither. A client that asked to close the connection after its answer is not closed on
// by the gateway right away (nothing could be seen then): the connection lingers until the client
// closes it, resets it, or the grace passes, as servers have long done for a clean close.
import type { Request, Response } from 'express';

/** How long after writing an answer a reset still means the client never read it. */
export const DELIVERY_GRACE_MS = 500;

export interface Consumer {
  /** The client hung up before its answer was written. */
  gone(): boolean;
}

export interface DeliveryWatch extends Consumer {
  /** Call before writing an answer that holds messages. */
  answering(): void;
}

/**
 * Watches one Consume exchange. `settle(delivered)` is called once, after the answer was
 * written and the grace passed (true), or as soon as the client is known not to have it (false).
 */
export function watchDelivery(
  req: Request,
  res: Response,
  settle: (delivered: boolean) => void,
): DeliveryWatch {
  const socket = req.socket;
  let reset = false;
  let done = false;
  let closeAfter = false;
  const onError = () => {
    reset = true;
  };
  socket.on('error', onError);
  const finish = (delivered: boolean) => {
    if (done) return;
    done = true;
    socket.off('error', onError);
    if (closeAfter && !socket.destroyed) socket.end(); // what the client asked for, now
    settle(delivered);
  };
  res.on('close', () => {
    if (!res.writableFinished || reset) return finish(false);
    if (socket.destroyed) return finish(!reset && !socket.errored);
    const timer = setTimeout(() => {
      // After the next poll for I/O: a reset that came while this process was busy (the timer
      // being late then) is read before the decision, not after it.
      setImmediate(() => {
        socket.off('close', onClose);
        finish(!reset && !socket.errored);
      });
    }, DELIVERY_GRACE_MS);
    const onClose = (hadError: boolean) => {
      clearTimeout(timer);
      finish(!hadError && !reset);
    };
    socket.once('close', onClose);
  });
  return {
    // The socket ended or closed: the client hung up, even if the response's 'close' is still to come.
    gone: () => !res.writable || socket.destroyed || socket.readableEnded,
    answering() {
      if (res.shouldKeepAlive) return;
      // Keep the connection readable after the answer; finish() closes it.
      closeAfter = true;
      res.shouldKeepAlive = true;
    },
  };
}
