// A SICS client for the tests, driving the bus the way real SICS clients do: JSON over HTTP, the
// session in X-SICS-SESSION, ICQL documents Base64-encoded, answers consumed from a queue.

export const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
export const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** A SICS client: nothing but fetch, JSON and the session header. */
export class SicsClient {
  session = '';
  constructor(readonly url: string) {}
  async call(
    method: string,
    path: string,
    body?: unknown,
    raw?: string,
  ): Promise<{ status: number; json: any; ms: number }> {
    const started = Date.now();
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (this.session) headers['X-SICS-SESSION'] = this.session;
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return {
      status: res.status,
      json: text ? JSON.parse(text) : undefined,
      ms: Date.now() - started,
    };
  }
  async login(user = 'Anna Admin', password = 'anna-demo-password') {
    const res = await this.call('POST', '/Session', { UserName: user, Password: password });
    expect(res.status).toBe(200);
    this.session = res.json.Session;
    return this;
  }
  /** Router + queue for the answers: Callback / answers. */
  async answerQueue(router = 'Callback', target = 'answers') {
    expect((await this.call('POST', '/VirtualRouter', { VirtualRouterName: router })).status).toBe(
      201,
    );
    expect(
      (
        await this.call('POST', '/Target', {
          TargetName: target,
          VirtualRouter: router,
          RoutingKeys: [target],
          TargetType: 'Queue',
        })
      ).status,
    ).toBe(201);
  }
  publishIcql(icql: string, callbackKey = 'answers') {
    return this.publishBody(b64(icql), callbackKey);
  }
  publishBody(body: string, callbackKey = 'answers') {
    return this.call('POST', '/Publish', {
      Body: body,
      Routing_Key: 'ACMP',
      VirtualRouter: 'ACMP',
      ExchangeType: 'ROUTING',
      Callback_VirtualRouter: 'Callback',
      Callback_Routing_Key: callbackKey,
    });
  }
  consume(target = 'answers', extra: Record<string, unknown> = {}) {
    return this.call('POST', '/Consume', {
      VirtualRouter: 'Callback',
      TargetName: target,
      WaitForMessage: true,
      WaitTimeout: 10000,
      MaxMessages: 1,
      ...extra,
    });
  }
  /** Consumes one answer and returns its decoded ICQL. */
  async answer(target = 'answers'): Promise<string> {
    const res = await this.consume(target);
    expect(res.status).toBe(200);
    expect(res.json.ErrorCode).toBe(0);
    expect(res.json.Messages).toHaveLength(1);
    return unb64(res.json.Messages[0].Body);
  }
}
