'use strict';
// Bolt for JavaScript doing lexi-slack's job, configured as Bolt's docs recommend for a
// single-workspace app on a long-running server: the default HTTPReceiver, the bot token and
// signing secret, token verification left on (one auth.test at start), listeners run after the
// ack (processBeforeResponse: false, the default outside FaaS).
//
// On each app_mention: ack (Bolt does it before the listener runs), ask LeadLex's Lexi
// (POST /v1/lexi/chat, Node's built-in fetch), post the answer in the thread (chat.postMessage).
// bench/run starts it with the environment lexi-bench sets: SLACK_SIGNING_SECRET,
// SLACK_BOT_TOKEN, SLACK_API_URL, LEADLEX_API_URL, LEADLEX_API_KEY, HOST, PORT.
const { App } = require('@slack/bolt');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const leadlexUrl = env('LEADLEX_API_URL');
const leadlexKey = env('LEADLEX_API_KEY');

const app = new App({
  token: env('SLACK_BOT_TOKEN'),
  signingSecret: env('SLACK_SIGNING_SECRET'),
  clientOptions: { slackApiUrl: `${env('SLACK_API_URL')}/` },
});

app.event('app_mention', async ({ event, body, client }) => {
  const message = event.text.replace(/^\s*<@[A-Z0-9]+>\s*/, '');
  const res = await fetch(`${leadlexUrl}/v1/lexi/chat`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${leadlexKey}`,
      'Content-Type': 'application/json',
      'Idempotency-Key': body.event_id,
    },
    body: JSON.stringify({ message }),
    signal: AbortSignal.timeout(90_000),
  });
  if (!res.ok) throw new Error(`LeadLex answered ${res.status}`);
  const { data } = await res.json();
  await client.chat.postMessage({
    channel: event.channel,
    thread_ts: event.thread_ts ?? event.ts,
    text: data.response,
  });
});

app.error(async (error) => {
  console.error(error);
});

(async () => {
  await app.start({ port: Number(env('PORT')), host: env('HOST') });
  console.log(`bolt-js listening on ${env('HOST')}:${env('PORT')}`);
})();
