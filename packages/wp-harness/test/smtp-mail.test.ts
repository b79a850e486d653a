import { startSmtpFake, type SmtpFake } from '@bkx-video/platform-fakes';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';

import { startSite, type Site } from '../src/index.js';

let smtp: SmtpFake;
let site: Site;

beforeAll(async () => {
  smtp = await startSmtpFake();
  site = await startSite({ withPlugin: false, mail: { smtp: { port: smtp.port } } });
}, 120_000);
afterAll(async () => {
  await site?.stop();
  await smtp?.close();
});
beforeEach(() => smtp.reset());

/** wp_mail() in a PHP process of the site; returns its result and the wp_mail_failed message. */
async function wpMail(to: string, subject: string, attachment?: { name: string; content: string }): Promise<{ sent: boolean; error: string; ms: number }> {
  const out = await site.php(`
    $error = '';
    add_action( 'wp_mail_failed', function ( $e ) use ( &$error ) { $error = $e->get_error_message(); } );
    $files = array();
    ${attachment ? `$dir = get_temp_dir() . 'bkx-harness-' . wp_generate_password( 8, false ); wp_mkdir_p( $dir ); $files[] = $dir . '/' . ${JSON.stringify(attachment.name)}; file_put_contents( $files[0], ${JSON.stringify(attachment.content)} );` : ''}
    $t = microtime( true );
    $sent = wp_mail( ${JSON.stringify(to)}, ${JSON.stringify(subject)}, '<p>Hello <b>there</b></p>', array( 'Content-Type: text/html; charset=UTF-8' ), $files );
    echo wp_json_encode( array( 'sent' => $sent, 'error' => $error, 'ms' => (int) ( 1000 * ( microtime( true ) - $t ) ) ) );
  `);
  return JSON.parse(out.trim()) as { sent: boolean; error: string; ms: number };
}

describe('wp-harness with mail: { smtp } (wp_mail over real SMTP)', () => {
  test('BookingX mails from a booking made through the front form arrive at the SMTP server', async () => {
    const id = await site.bookings.create({ serviceId: site.fixtures.videoServiceId, start: '2030-05-06 10:00', customer: { email: 'smtp-guest@example.test' } });
    expect(id).toBeGreaterThan(0);
    const m = await smtp.waitFor((x) => x.envelope.to.includes('smtp-guest@example.test'), 10_000);
    expect(m.envelope.from).toBe('wordpress@example.test'); // the harness's valid sender for a site at 127.0.0.1
    expect(m.helo).not.toBe('');
    expect(m.raw).toMatch(/^X-Mailer: PHPMailer/m);
    expect(site.mails()).toEqual([]); // nothing went to the capture log
  });

  test('an attachment travels as a MIME part with its type and content', async () => {
    const r = await wpMail('att@example.test', 'With a file', { name: 'notes.txt', content: 'line one\nline two' });
    expect(r).toMatchObject({ sent: true, error: '' });
    const m = await smtp.waitFor((x) => x.subject === 'With a file');
    expect(m.html).toContain('<b>there</b>');
    expect(m.attachments).toEqual([expect.objectContaining({ filename: 'notes.txt', mimeType: 'text/plain' })]);
    expect(m.attachments[0]!.content.toString()).toBe('line one\nline two');
  });

  test('a 550 refusal makes wp_mail() return false with the server reason, and nothing is delivered', async () => {
    smtp.refuse({ stage: 'rcpt', recipient: 'nobody@example.test', message: 'No such mailbox here' });
    const r = await wpMail('nobody@example.test', 'Refused');
    expect(r.sent).toBe(false);
    expect(r.error).toMatch(/nobody@example\.test|recipient|No such mailbox/i);
    expect(smtp.messages).toHaveLength(0);
    expect(smtp.rejections).toEqual([expect.objectContaining({ stage: 'rcpt', code: 550 })]);
  });

  test('a connection dropped after DATA makes wp_mail() return false quickly', async () => {
    smtp.drop({ stage: 'data' });
    const r = await wpMail('dropped@example.test', 'Dropped');
    expect(r.sent).toBe(false);
    expect(r.error).not.toBe('');
    expect(r.ms).toBeLessThan(11_000);
    expect(smtp.messages).toHaveLength(0);
  });
});
