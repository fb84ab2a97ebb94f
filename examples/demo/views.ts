// Server-rendered HTML. Templates go through the `html` tag, which escapes every interpolated value
// unless it is already Html, so user-provided text (the name) cannot inject markup.
import { CSRF_FIELD } from './csrf.js';

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  return new Html(strings.reduce((out, string, i) => out + render(values[i - 1] as Value) + string));
}

export interface PageContext {
  /** The signed-in name, if any. */
  readonly userName: string | undefined;
  readonly csrfToken: string;
  /** A one-off message from the previous request. */
  readonly flash: string | undefined;
  /** "SQLite", "PostgreSQL", …: where the sessions live (never the URL). */
  readonly databaseLabel: string;
}

export interface SessionListItem {
  readonly current: boolean;
  readonly lastSeen: Date | null;
  readonly expire: Date;
}

const csrfField = (ctx: PageContext) => html`<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrfToken}">`;

function layout(ctx: PageContext, title: string, body: Html): string {
  const nav = ctx.userName
    ? html`<nav>
        <a href="/">Home</a>
        <a href="/sessions">Your sessions</a>
        <form method="post" action="/sign-out" class="inline">${csrfField(ctx)}<button class="link" type="submit">Sign out</button></form>
      </nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} · session demo</title>
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <header><a class="brand" href="/">Session demo</a>${nav}</header>
  <main>
    ${ctx.flash ? html`<p class="flash" role="status">${ctx.flash}</p>` : ''}
    ${body}
  </main>
  <footer>Sessions are kept in ${ctx.databaseLabel} by <code>sequelize-session-store</code>.</footer>
</body>
</html>
`.text;
}

function visitCounter(visits: number): Html {
  return html`<section class="card counter">
    <p>Visits to this page in this session</p>
    <p class="count" id="visits" data-testid="visits">${visits}</p>
    <p class="hint">Reload the page, or restart the server: the count goes on, because the session lives in the database.</p>
  </section>`;
}

export function homePage(ctx: PageContext, visits: number, form: { error?: string; name?: string } = {}): string {
  if (ctx.userName) {
    return layout(
      ctx,
      'Home',
      html`<h1>Hello, <span data-testid="user-name">${ctx.userName}</span></h1>
      ${visitCounter(visits)}
      <p><a class="button" href="/sessions">Your active sessions</a></p>`,
    );
  }
  return layout(
    ctx,
    'Sign in',
    html`<h1>Sign in</h1>
    <form method="post" action="/sign-in" class="card">
      ${csrfField(ctx)}
      <label for="name">Your name</label>
      <input id="name" name="name" value="${form.name ?? ''}" autocomplete="username" required maxlength="40" autofocus>
      ${form.error ? html`<p class="error" role="alert">${form.error}</p>` : ''}
      <button type="submit">Sign in</button>
      <p class="hint">Any name works; this demo has no passwords. Sign in with the same name in another browser to see two sessions.</p>
    </form>
    ${visitCounter(visits)}`,
  );
}

export function sessionsPage(ctx: PageContext, sessions: readonly SessionListItem[], now: Date): string {
  const others = sessions.filter((s) => !s.current).length;
  const items = sessions.map(
    (s) => html`<li class="${s.current ? 'session current' : 'session'}" data-testid="session">
      <p class="label">${s.current ? html`<strong>This session</strong> <span class="badge">you are here</span>` : 'Another browser or device'}</p>
      <dl>
        <dt>Last active</dt><dd>${s.current ? 'now' : timeTag(s.lastSeen, now)}</dd>
        <dt>Expires</dt><dd>${timeTag(s.expire, now)}</dd>
      </dl>
    </li>`,
  );
  return layout(
    ctx,
    'Your active sessions',
    html`<h1>Your active sessions</h1>
    <p>Every browser signed in as <strong>${ctx.userName}</strong>: <span data-testid="session-count">${sessions.length}</span> active.</p>
    <ul class="sessions">${items}</ul>
    ${
      others > 0
        ? html`<form method="post" action="/sessions/sign-out-others">
            ${csrfField(ctx)}
            <button type="submit" class="danger">Sign out everywhere else</button>
          </form>`
        : html`<p class="hint">You are signed in nowhere else.</p>`
    }`,
  );
}

export function errorPage(ctx: PageContext, title: string, message: string): string {
  return layout(ctx, title, html`<h1>${title}</h1><p>${message}</p><p><a href="/">Back to the start</a></p>`);
}

function timeTag(date: Date | null, now: Date): Html {
  if (!date) return html`unknown`;
  const utc = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${date.toISOString()}" title="${utc}">${relativeTime(date, now)}</time> <span class="abs">(${utc})</span>`;
}

export function relativeTime(date: Date, now: Date): string {
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return seconds <= 0 ? 'just now' : 'in a moment';
  const [amount, unit] =
    abs < 3600 ? [Math.round(abs / 60), 'min'] : abs < 86_400 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86_400), 'days'];
  const text = unit === 'days' && amount === 1 ? '1 day' : `${amount} ${unit}`;
  return seconds < 0 ? `${text} ago` : `in ${text}`;
}

export const STYLESHEET = `
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #1d2330; --muted: #5d6778; --card: #fff; --line: #dde1e8;
  --accent: #2457c5; --on-accent: #fff; --danger: #b42318; --current: #eaf1ff; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #14171d; --fg: #e8ebf1; --muted: #9aa4b5; --card: #1d2129; --line: #313744;
    --accent: #7ea6ff; --on-accent: #0b1220; --danger: #ff8a80; --current: #1f2a40; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
  padding: .75rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
header nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
.brand { font-weight: 700; color: var(--fg); text-decoration: none; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
footer { max-width: 40rem; margin: 1rem auto 2rem; padding: 0 1rem; color: var(--muted); font-size: .875rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; overflow-wrap: anywhere; }
a { color: var(--accent); }
.card, .session { background: var(--card); border: 1px solid var(--line); border-radius: .75rem; padding: 1rem; margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input { width: 100%; font: inherit; padding: .6rem .75rem; border: 1px solid var(--line); border-radius: .5rem;
  background: var(--bg); color: var(--fg); margin-bottom: .75rem; }
button, .button { display: inline-block; font: inherit; font-weight: 600; padding: .6rem 1.1rem; border: 0; border-radius: .5rem;
  background: var(--accent); color: var(--on-accent); cursor: pointer; text-decoration: none; }
button.danger { background: var(--danger); color: var(--on-accent); }
button.link { background: none; color: var(--accent); padding: 0; font-weight: 400; text-decoration: underline; }
form.inline { display: inline; margin: 0; }
.hint { color: var(--muted); font-size: .9rem; margin-bottom: 0; }
.error { color: var(--danger); margin-top: 0; }
.flash { background: var(--current); border: 1px solid var(--accent); border-radius: .5rem; padding: .6rem .9rem; }
.counter p { margin: 0; }
.count { font-size: 3rem; font-weight: 700; line-height: 1.2; }
.sessions { list-style: none; padding: 0; margin: 0 0 1rem; }
.session.current { background: var(--current); border-color: var(--accent); }
.session .label { margin: 0 0 .5rem; }
.badge { font-size: .75rem; background: var(--accent); color: var(--on-accent); border-radius: 999px; padding: .1rem .5rem; vertical-align: middle; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; }
.abs { color: var(--muted); font-size: .85rem; }
@media (max-width: 30rem) {
  button:not(.link), .button { width: 100%; text-align: center; }
  dl { grid-template-columns: 1fr; gap: 0; }
  dd { margin-bottom: .4rem; }
}
`;
