// The console's HTML shell, rendered by the server; console.js fills it from the JSON API.
import type { AuthMode } from '../config';

export function consolePage(authMode: AuthMode): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>acmp-gateway console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/console.css">
<script src="/console/console.js" defer></script>
</head>
<body data-auth="${authMode}">
<header>
  <h1>acmp-gateway console</h1>
  <span id="who"></span>
  <button type="button" id="logout" hidden>Log out</button>
</header>
<p id="message" role="alert" hidden></p>

<form id="login" hidden>
  <h2>Log in</h2>
  <p>The console shows every user's traffic: it needs a user with the permission ADMIN.</p>
  <label>User <input name="user" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Log in</button>
</form>

<main id="app" hidden>
  <section id="charts-section">
    <h2>Last hour, per command</h2>
    <div id="charts"></div>
  </section>

  <section id="dead-section">
    <details id="dead">
      <summary><h2>Dead letters on the bus <span id="dead-count"></span></h2></summary>
      <p class="hint">SICS messages consumed with Manual acknowledgement and delivered
        ACMP_SICS_MAX_DELIVERIES times without being acknowledged. <b>Send back</b> puts one back
        in its queue, in its old place: it is delivered again, its deliveries counted anew.
        <span id="dead-note" role="status"></span></p>
      <p id="dead-empty" hidden>There are no dead letters.</p>
      <div class="scroll">
        <table id="dead-letters" hidden>
          <thead><tr><th>user</th><th>router</th><th>target</th><th>routing key</th><th>deliveries</th><th>published</th><th>died</th><th>excerpt</th><th></th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </details>
  </section>

  <section id="list-section">
    <h2>Exchanges <label class="inline"><input type="checkbox" id="live" checked> live tail</label></h2>
    <form id="filters">
      <label>Command <input name="command" placeholder="SaveTicket_V4"></label>
      <label>ResultCode <input name="result" inputmode="numeric" size="5"></label>
      <label>User <input name="user" size="12"></label>
      <label>From <input name="from" type="datetime-local" step="1"></label>
      <label>To <input name="to" type="datetime-local" step="1"></label>
      <button type="submit">Filter</button>
      <button type="reset">Clear</button>
    </form>
    <table id="exchanges">
      <thead><tr><th>#</th><th>time</th><th>transport</th><th>command</th><th>ResultCode</th><th>HTTP</th><th>ms</th><th>user</th><th>from</th></tr></thead>
      <tbody></tbody>
    </table>
    <button type="button" id="older" hidden>Older</button>
  </section>

  <section id="detail" hidden>
    <h2 id="detail-title"></h2>
    <p id="detail-meta"></p>
    <div class="actions">
      <button type="button" id="replay">Replay this request</button>
      <button type="button" id="fixture">Download as fixture</button>
      <span id="detail-note"></span>
    </div>
    <div class="bodies">
      <div><h3>Request</h3><pre id="request-body"></pre></div>
      <div><h3>Response</h3><pre id="response-body"></pre></div>
      <div id="replayed" hidden><h3 id="replayed-title">Replayed response</h3><pre id="replayed-body"></pre></div>
    </div>
  </section>
</main>
</body>
</html>
`;
}
