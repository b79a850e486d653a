import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, test } from 'vitest';
import { startSite, REPO_ROOT, PLUGIN_SLUG, type Site } from '../src/index.js';

const HOOK_LOGGER = fileURLToPath(new URL('./fixtures/bkx-test-hook-log.php', import.meta.url));

interface HookLine {
  hook: string;
  id: number;
  arg: unknown;
  status: string | null;
  db_status: string | null;
  start: string | null;
  author: number | null;
}

function portClosed(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(false);
    });
    s.once('error', () => res(true));
  });
}

async function dbExists(name: string): Promise<boolean> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
  const [rows] = await c.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
  await c.end();
  return (rows as unknown[]).length > 0;
}

describe('wp-harness with the BookingX stand-in only (withPlugin: false)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'bkx-hooklog-'));
  const hookLog = join(tmp, 'hooks.jsonl');
  let site: Site;
  const hooks = (): HookLine[] =>
    existsSync(hookLog)
      ? readFileSync(hookLog, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as HookLine)
      : [];
  const resetHooks = () => writeFileSync(hookLog, '');
  const names = (id?: number) => hooks().filter((h) => id === undefined || h.id === id || h.id === 0).map((h) => h.hook);

  afterAll(async () => {
    await site?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('full lifecycle', async () => {
    site = await startSite({ withPlugin: false, muPlugins: [HOOK_LOGGER], constants: { BKX_TEST_HOOK_LOG: hookLog } });
    expect(site.pluginActive).toBe(false);
    expect(Object.keys(site.activation)).toEqual(['bookingx-standin/bookingx-standin.php']);
    expect((await site.php('echo BKX_PLUGIN_VER . "|" . get_option("timezone_string");')).trim()).toBe('1.1.2|Europe/Berlin');

    // REST shape of the stand-in (§2.1)
    const seats = await site.rest('/wp/v2/bkx_seat');
    expect(seats.status).toBe(200);
    expect(seats.json.map((s: any) => s.title.rendered)).toContain('Dr. Provider');
    const types = await site.rest('/wp/v2/types');
    expect(Object.keys(types.json)).toEqual(expect.arrayContaining(['bkx_seat', 'bkx_base', 'bkx_addition']));
    expect(Object.keys(types.json)).not.toContain('bkx_booking');

    // each role logs in; cookie + nonce work for REST
    for (const role of ['admin', 'provider', 'manager', 'customer'] as const) {
      const s = await site.login(role);
      expect(s.cookies.some((c) => c.name.startsWith('wordpress_logged_in_'))).toBe(true);
      const me = await site.rest('/wp/v2/users/me', { as: s });
      expect(me.status).toBe(200);
      expect(me.json.id).toBe(site.users[role].id);
    }
    expect((await site.rest('/wp/v2/users/me')).status).toBe(401);
    expect((await site.php(`echo get_user_meta(${site.users.provider.id}, 'seat_post_id', true);`)).trim()).toBe(String(site.fixtures.seatId));

    // ---- create as guest (§8.1)
    resetHooks();
    site.clearMails();
    const b1 = await site.bookings.create({ serviceId: site.fixtures.videoServiceId, start: '2030-03-05 09:00', customer: { email: 'guest@example.test' } });
    let b = (await site.bookings.get(b1))!;
    expect(b.status).toBe('bkx-pending');
    expect(b.author).toBe(0);
    expect(b.title.startsWith('Order – ')).toBe(true);
    expect(b.meta).toMatchObject({
      seat_id: String(site.fixtures.seatId),
      base_id: String(site.fixtures.videoServiceId),
      booking_date: '2030-3-5',
      booking_time_from: '09:00',
      booking_time: { in_sec: 1800 },
      booking_start_date: '2030-03-05 09:00:00',
      booking_end_date: '2030-03-05 09:30:00',
      base_time_option: 'H',
      payment_status: 'Not Completed',
      email: 'guest@example.test',
    });
    expect(b.meta.user_time_zone).toBeUndefined(); // empty → only inside order_meta_data
    expect(b.meta.order_meta_data.user_time_zone).toBe('');
    expect(b.meta.created_by).toBeUndefined(); // guest: 0 → not written per key
    expect(b.meta.order_meta_data.created_by).toBe(0);
    expect(names(b1)).toEqual([
      'bkx_booking_collection_posts',
      'wp_insert_comment',
      'added_post_meta:order_meta_data',
      'wp_mail',
      'wp_mail',
      'transition_post_status',
      'save_post_bkx_booking',
    ]);
    const added = hooks().find((h) => h.hook === 'added_post_meta:order_meta_data')!;
    expect(added.start).toBe('2030-03-05 09:00:00'); // per-key meta already written
    expect(hooks().find((h) => h.hook === 'transition_post_status')!.arg).toBe('bkx-pending>bkx-pending');
    expect(site.mails().map((m) => m.subject)).toEqual([`New booking #${b1} – Pending`, `Your booking #${b1} – Pending`]);
    expect(site.mails()[1]!.to).toEqual(['guest@example.test']);

    // ---- create as the logged-in customer: author = customer (found by e-mail), created_by = customer
    const b2 = await site.bookings.create({ serviceId: site.fixtures.ordinaryServiceId, start: '2030-03-06 14:15', as: 'customer' });
    b = (await site.bookings.get(b2))!;
    expect(b.author).toBe(site.users.customer.id);
    expect(b.meta.created_by).toBe(String(site.users.customer.id));
    expect(b.meta.booking_end_date).toBe('2030-03-06 15:15:00');

    // ---- status from the row dropdown, anonymously (§8.2)
    resetHooks();
    await site.bookings.setStatus(b1, 'missed', 'guest');
    const st = hooks().filter((h) => h.id === b1 || h.hook === 'wp_mail');
    expect(st.map((h) => h.hook)).toEqual(['wp_insert_comment', 'bkx_order_edit_status', 'wp_mail', 'bkx_order_edit_status']);
    expect(st[1]).toMatchObject({ arg: 'customer_missed', status: 'bkx-missed', db_status: 'bkx-missed' });
    expect(st[3]).toMatchObject({ arg: 'missed', status: 'bkx-missed' });
    expect((await site.bookings.get(b1))!.status).toBe('bkx-missed');

    // ---- reschedule a missed booking (§8.4): reopened as pending, first hooks see the OLD date
    resetHooks();
    site.clearMails();
    await site.bookings.reschedule(b1, { start: '2030-03-07 10:30' });
    expect(names(b1)).toEqual([
      'transition_post_status',
      'save_post_bkx_booking',
      'bkx_booking_collection_update_post',
      'wp_insert_comment',
      'updated_post_meta:order_meta_data',
      'wp_mail',
      'wp_mail',
      'transition_post_status',
      'save_post_bkx_booking',
    ]);
    const rs = hooks();
    expect(rs[0]).toMatchObject({ arg: 'bkx-missed>bkx-pending', start: '2030-03-05 09:00:00' });
    expect(rs[1]).toMatchObject({ start: '2030-03-05 09:00:00' });
    expect(rs.find((h) => h.hook === 'updated_post_meta:order_meta_data')).toMatchObject({ arg: '2030-03-07 10:30:00', start: '2030-03-07 10:30:00' });
    expect(rs.at(-1)).toMatchObject({ start: '2030-03-07 10:30:00', author: site.users.admin.id });
    b = (await site.bookings.get(b1))!;
    expect(b).toMatchObject({ status: 'bkx-pending', author: site.users.admin.id });
    expect(b.meta.booking_end_date).toBe('2030-03-07 11:00:00');
    expect(site.mails().every((m) => m.subject.includes('Pending'))).toBe(true);

    // ---- staff reassignment: only seat_id + order_meta_data, no action
    const seat2 = Number((await site.php(`echo wp_insert_post(['post_type'=>'bkx_seat','post_status'=>'publish','post_title'=>'Dr. Second']);`)).trim());
    resetHooks();
    await site.bookings.reassignSeat(b1, seat2);
    expect(names(b1)).toEqual(['updated_post_meta:order_meta_data', 'wp_insert_comment']);
    b = (await site.bookings.get(b1))!;
    expect(b.meta.seat_id).toBe(String(seat2));
    expect(b.meta.order_meta_data.seat_id).toBe(String(seat2));

    // ---- customer dashboard cancel (owner check by e-mail / created_by)
    resetHooks();
    expect(await site.bookings.cancelAsCustomer(b1, 'customer')).toBe(false); // not the customer's booking
    expect(await site.bookings.cancelAsCustomer(b2, 'customer')).toBe(true);
    expect(hooks().filter((h) => h.hook === 'bkx_order_edit_status').map((h) => h.arg)).toEqual(['customer_cancelled', 'cancelled']);
    expect((await site.bookings.get(b2))!.status).toBe('bkx-cancelled');

    // ---- the list screen offers the bulk actions
    const list = await site.request('/wp-admin/edit.php?post_type=bkx_booking', { as: 'admin' });
    expect(list.status).toBe(200);
    expect(list.text).toContain('value="mark_completed"');

    // ---- bulk (§8.3): note + filter only
    resetHooks();
    await site.bookings.bulkStatus([b1, b2], 'completed');
    expect(names()).toEqual(['wp_insert_comment', 'wp_insert_comment', 'handle_bulk_actions-edit-bkx_booking', 'handle_bulk_actions-edit-bkx_booking']);
    expect(hooks().filter((h) => h.hook.startsWith('handle_bulk')).map((h) => [h.id, h.arg, h.status])).toEqual([
      [b1, 'mark_completed', 'bkx-completed'],
      [b2, 'mark_completed', 'bkx-completed'],
    ]);
    expect((await site.bookings.get(b1))!.status).toBe('bkx-completed');

    // ---- trash / untrash / delete (§8.5, §8.6): plain WordPress
    resetHooks();
    await site.bookings.trash(b1);
    expect(names(b1)).toEqual(['wp_trash_post', 'transition_post_status', 'save_post_bkx_booking', 'trashed_post']);
    expect((await site.bookings.get(b1))!.status).toBe('trash');
    resetHooks();
    await site.bookings.untrash(b1);
    expect(names(b1)).toContain('untrashed_post');
    expect((await site.bookings.get(b1))!.status).toBe('draft'); // WP ≥ 5.6 untrash → draft; BookingX adds no filter
    resetHooks();
    await site.bookings.delete(b1);
    expect(names(b1)).toEqual(expect.arrayContaining(['before_delete_post', 'deleted_post']));
    expect(await site.bookings.get(b1)).toBeNull();
    expect((await site.php(`echo count(get_comments(['post_id'=>${b1},'type'=>'booking_note']));`)).trim()).toBe('0');

    // ---- stop: process group gone, DB dropped, dir removed; idempotent
    const { port, dbName, dir } = site;
    expect(site.debugLog()).not.toMatch(/PHP (Fatal|Parse) error/);
    await site.stop();
    await site.stop();
    expect(await portClosed(port)).toBe(true);
    expect(await dbExists(dbName)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});

const PLUGIN_MAIN = join(REPO_ROOT, 'plugin', `${PLUGIN_SLUG}.php`);

describe.skipIf(!existsSync(PLUGIN_MAIN))('wp-harness with our plugin', () => {
  let site: Site | undefined;
  afterAll(async () => {
    await site?.stop();
  });

  test('plugin activates without fatals; plugins_url works through the symlink', async () => {
    site = await startSite({ withPlugin: true, constants: { BKX_VIDEO_SIDECAR_URL: 'http://127.0.0.1:9', BKX_VIDEO_SIDECAR_SECRET: 'test-secret-0123456789abcdef0123456789' } });
    expect(site.pluginActive).toBe(true);
    // the activation hook ran through the symlink (it creates the roles)
    expect(site.users.provider.role).toBe('bkx_video_provider');
    expect(site.users.manager.role).toBe('bkx_video_manager');
    expect(site.debugLog()).not.toMatch(/PHP (Fatal|Parse) error/);
    const url = (await site.php(`echo plugins_url('x.js', ${JSON.stringify(PLUGIN_MAIN)});`)).trim();
    expect(url).toBe(`${site.url}/wp-content/plugins/${PLUGIN_SLUG}/x.js`);
    const active = (await site.php(`echo in_array('${PLUGIN_SLUG}/${PLUGIN_SLUG}.php', (array) get_option('active_plugins'), true) ? 'yes' : 'no';`)).trim();
    expect(active).toBe('yes');
    // static files are served through the symlink
    const asset = readdirSync(join(REPO_ROOT, 'plugin', 'assets')).find((f) => f.endsWith('.js') || f.endsWith('.css'));
    if (asset) expect((await site.request(`/wp-content/plugins/${PLUGIN_SLUG}/assets/${asset}`)).status).toBe(200);
    // a booking still goes through with the plugin listening
    const id = await site.bookings.create({ serviceId: site.fixtures.videoServiceId, start: '2030-04-01 09:00' });
    expect((await site.bookings.get(id))!.status).toBe('bkx-pending');
    expect(site.debugLog()).not.toMatch(/PHP (Fatal|Parse) error/);
  });
});
