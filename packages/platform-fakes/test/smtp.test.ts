import { connect, type Socket } from 'node:net';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startSmtpFake, type SmtpFake } from '../src/index';

let fake: SmtpFake;
beforeAll(async () => {
  fake = await startSmtpFake();
});
afterAll(async () => fake?.close());
beforeEach(() => fake.reset());

interface Reply {
  code: number;
  text: string;
}

/** A bare RFC 5321 client over a socket, so the fake is tested against the protocol, not its own library. */
async function dial(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let buffer = '';
  let closed = false;
  const pending: Array<(r: Reply | null) => void> = [];
  const replies: Reply[] = [];
  let lines: string[] = [];
  const flush = () => {
    while (pending.length && (replies.length || closed)) pending.shift()!(replies.shift() ?? null);
  };
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    let i: number;
    while ((i = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      lines.push(line.slice(4));
      if (line[3] === ' ' || line.length === 3) {
        replies.push({ code: Number(line.slice(0, 3)), text: lines.join('\n') });
        lines = [];
      }
    }
    flush();
  });
  socket.on('close', () => {
    closed = true;
    flush();
  });
  socket.on('error', () => undefined);
  /** The next reply, or null when the server closed the connection without one. */
  const reply = () => new Promise<Reply | null>((resolve) => {
    pending.push(resolve);
    flush();
  });
  return {
    reply,
    async cmd(line: string) {
      socket.write(`${line}\r\n`);
      return reply();
    },
    async data(message: string) {
      const stuffed = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
      socket.write(`${stuffed}\r\n.\r\n`);
      return reply();
    },
    close: () => socket.destroy(),
  };
}

const calendar = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Test//EN',
  'METHOD:REQUEST',
  'BEGIN:VEVENT',
  'UID:x-1@example.test',
  'DTSTAMP:20270101T000000Z',
  'DTSTART:20270102T100000Z',
  'END:VEVENT',
  'END:VCALENDAR',
].join('\r\n');

const MESSAGE = [
  'From: WordPress <wordpress@example.test>',
  'To: Cara Customer <cara@example.test>',
  'Subject: =?UTF-8?Q?Your_consultation_=E2=80=93_Monday?=',
  'Message-ID: <m-1@example.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: multipart/alternative; boundary="b2"',
  '',
  '--b2',
  'Content-Type: text/plain; charset=UTF-8',
  '',
  'Hello Cara,',
  '.a line that starts with a dot',
  '--b2',
  'Content-Type: text/html; charset=UTF-8',
  '',
  '<p>Hello <a href="https://site.test/join?bkx_vc=abc">Join</a></p>',
  '--b2--',
  '--b1',
  'Content-Type: text/calendar; method=REQUEST; charset=UTF-8; name=invite.ics',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename=invite.ics',
  '',
  Buffer.from(calendar).toString('base64'),
  '--b1--',
].join('\r\n');

async function send(to: string[], message = MESSAGE) {
  const c = await dial(fake.port);
  const steps: Array<Reply | null> = [await c.reply(), await c.cmd('EHLO client.test'), await c.cmd('MAIL FROM:<wordpress@example.test>')];
  for (const r of to) steps.push(await c.cmd(`RCPT TO:<${r}>`));
  const data = await c.cmd('DATA');
  steps.push(data);
  steps.push(data?.code === 354 ? await c.data(message) : null);
  await c.cmd('QUIT');
  c.close();
  return steps;
}

describe('SMTP fake', () => {
  it('accepts a message and records envelope, raw source and parsed parts with their full content types', async () => {
    const pending = fake.waitFor((m) => m.envelope.to.includes('cara@example.test'), 5000);
    const steps = await send(['cara@example.test', 'bcc@example.test']);
    expect(steps.map((s) => s?.code)).toEqual([220, 250, 250, 250, 250, 354, 250]);
    expect(steps[1]!.text).not.toMatch(/STARTTLS|AUTH/);
    const m = await pending;
    expect(fake.messages).toHaveLength(1);
    expect(m.envelope).toEqual({ from: 'wordpress@example.test', to: ['cara@example.test', 'bcc@example.test'] });
    expect(m.helo).toBe('client.test');
    expect(m.subject).toBe('Your consultation – Monday');
    expect(m.from).toEqual(['wordpress@example.test']);
    expect(m.to).toEqual(['cara@example.test']);
    expect(m.messageId).toBe('<m-1@example.test>');
    expect(m.contentType).toMatch(/^multipart\/mixed; boundary=b1$/);
    expect(m.text).toContain('Hello Cara,');
    expect(m.text).toContain('\n.a line that starts with a dot'); // dot-unstuffed
    expect(m.raw).toContain('\r\n.a line that starts with a dot\r\n');
    expect(m.html).toContain('bkx_vc=abc');
    expect(m.attachments).toHaveLength(1);
    const ics = m.attachments[0]!;
    expect(ics).toMatchObject({ filename: 'invite.ics', mimeType: 'text/calendar', disposition: 'attachment', params: { method: 'REQUEST', charset: 'UTF-8' } });
    expect(ics.contentType).toMatch(/^text\/calendar; method=REQUEST; charset=UTF-8/);
    expect(ics.content.toString()).toBe(calendar);
  });

  it('refuses a recipient with 550 once, then accepts it', async () => {
    fake.refuse({ stage: 'rcpt', recipient: 'no@example.test', message: 'No such user' });
    const first = await send(['no@example.test']);
    expect(first[3]).toMatchObject({ code: 550, text: expect.stringContaining('No such user') });
    expect(fake.messages).toHaveLength(0);
    expect(fake.rejections).toEqual([expect.objectContaining({ stage: 'rcpt', kind: 'refused', code: 550, address: 'no@example.test' })]);
    const second = await send(['no@example.test']);
    expect(second.at(-1)?.code).toBe(250);
    expect(fake.messages).toHaveLength(1);
  });

  it('refuses the message after DATA with the chosen code (451 = try later), recording nothing', async () => {
    fake.refuse({ stage: 'data', code: 451 });
    const steps = await send(['cara@example.test']);
    expect(steps.at(-1)?.code).toBe(451);
    expect(fake.messages).toHaveLength(0);
  });

  it('refuses the sender and the connection', async () => {
    fake.refuse({ stage: 'mail', code: 553 });
    expect((await send(['cara@example.test']))[2]?.code).toBe(553);
    fake.refuse({ stage: 'connect', code: 554 });
    const c = await dial(fake.port);
    expect((await c.reply())?.code).toBe(554);
    c.close();
  });

  it('drops the connection after the message without answering, recording nothing', async () => {
    fake.drop({ stage: 'data' });
    const steps = await send(['cara@example.test']);
    expect(steps.at(-2)?.code).toBe(354);
    expect(steps.at(-1)).toBeNull();
    expect(fake.messages).toHaveLength(0);
    expect(fake.rejections).toEqual([expect.objectContaining({ stage: 'data', kind: 'dropped' })]);
  });

  it('drops at connect: the client never gets a greeting', async () => {
    const before = fake.connections();
    fake.drop({ stage: 'connect' });
    const c = await dial(fake.port);
    expect(await c.reply()).toBeNull();
    expect(fake.connections()).toBe(before + 1);
  });

  it('waitFor fails after its timeout and names what did arrive', async () => {
    await send(['cara@example.test']);
    await expect(fake.waitFor((m) => m.subject === 'never', 200)).rejects.toThrow(/within 200 ms.*cara@example\.test: Your consultation/);
  });
});
