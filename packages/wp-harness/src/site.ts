/**
 * Throwaway WordPress (Debian 6.1.9 under `php -S`) with the BookingX stand-in and, optionally, our plugin.
 * Recipe: shared/ENVIRONMENT.md §2.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync, readFileSync, symlinkSync, cpSync, copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { http, type Cookie } from './http.js';

const execFileP = promisify(execFile);

export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT = resolve(PACKAGE_DIR, '../..');
export const FIXTURES_DIR = join(PACKAGE_DIR, 'fixtures');
export const PLUGIN_SLUG = 'bookingx-video-consultation';

export type Role = 'admin' | 'provider' | 'manager' | 'customer';
export type BookingStatus = 'pending' | 'ack' | 'completed' | 'cancelled' | 'missed' | 'failed';

export interface SiteOptions {
  /** Activate our plugin: true = must succeed, false = never, 'auto' (default) = if its main file exists. */
  withPlugin?: boolean | 'auto';
  /** Our plugin's folder. Default: `<repo>/plugin`. */
  pluginDir?: string;
  /** How the plugin is put into wp-content/plugins. Default 'symlink' (plugins_url works through it). */
  pluginLink?: 'symlink' | 'copy';
  /** Site timezone_string. Default 'Europe/Berlin'. */
  timezone?: string;
  /** Extra wp-config constants, e.g. BKX_VIDEO_SIDECAR_URL, BKX_VIDEO_SIDECAR_SECRET. */
  constants?: Record<string, string | number | boolean>;
  /** Extra mu-plugin files copied into this site only (e.g. a test hook logger). */
  muPlugins?: string[];
  /** PHP_CLI_SERVER_WORKERS. Default 4. */
  workers?: number;
  /** Port; default a free one. */
  port?: number;
  /** WordPress core to copy. Default /usr/share/wordpress. */
  wpSource?: string;
  /** MySQL connection. Default 127.0.0.1:3306 root ''. */
  db?: { host?: string; port?: number; user?: string; password?: string };
  /**
   * How wp_mail() delivers. 'capture' (default): a `pre_wp_mail` filter writes one JSON line per mail,
   * read with `site.mails()`. `{ smtp }`: PHPMailer really sends over SMTP (isSMTP, no AUTH, no TLS),
   * e.g. to the SMTP fake of @bkx-video/platform-fakes; `site.mails()` then stays empty.
   */
  mail?: 'capture' | { smtp: SmtpTarget };
}

export interface SmtpTarget {
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  /** Sender used when WordPress's default one is invalid (it is on a site at 127.0.0.1). Default wordpress@example.test. */
  from?: string;
}

export interface SiteUser {
  id: number;
  login: string;
  password: string;
  email: string;
  role: string;
}

export interface Session {
  role: Role | null;
  userId: number;
  /** `name=value; …` for a Cookie header */
  cookieHeader: string;
  /** for Playwright's context.addCookies */
  cookies: Cookie[];
  /** REST nonce (X-WP-Nonce) */
  nonce: string;
}

export type As = Role | 'guest' | Session;

export interface RestOptions {
  method?: string;
  body?: unknown;
  as?: As;
  query?: Record<string, string | number>;
  headers?: Record<string, string>;
}

export interface RestResponse<T = any> {
  status: number;
  json: T;
  text: string;
  headers: Headers;
}

export interface Customer {
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
}

export interface CreateBookingInput {
  serviceId: number;
  seatId?: number;
  /** 'YYYY-MM-DD HH:MM', site-local wall clock */
  start: string;
  customer?: Partial<Customer>;
  /** who submits the booking form; default 'guest' */
  as?: As;
  extraIds?: number[];
  /** More fields posted with the form (what add-ons print into it, e.g. `bkx_video_platform_choice`). */
  fields?: Record<string, string>;
}

export interface BookingSnapshot {
  id: number;
  status: string;
  author: number;
  title: string;
  /** every meta key (single value, unserialized) */
  meta: Record<string, any>;
}

export interface CapturedMail {
  to: string[];
  subject: string;
  message: string;
  headers: string[];
  attachments: { filename: string; content_base64: string }[];
  time: string;
}

export interface ActivationResult {
  ok: boolean;
  error?: string;
  output: string;
}

const DEFAULT_CUSTOMER: Customer = { first_name: 'Casey', last_name: 'Customer', email: 'customer@example.test', phone: '+49301234567' };

// ------------------------------------------------------------------ process-exit cleanup
const live = new Set<SiteImpl>();
let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => {
    for (const s of live) s.stopSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const s of live) s.stopSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

function phpLiteral(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return String(v);
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ Site
class SiteImpl {
  readonly url: string;
  readonly host: string;
  users!: Record<Role, SiteUser>;
  fixtures!: { seatId: number; videoServiceId: number; ordinaryServiceId: number };
  /** activation results by plugin file */
  activation: Record<string, ActivationResult> = {};
  /** true when our plugin was activated successfully */
  pluginActive = false;
  readonly mailLog: string;
  readonly debugLogPath: string;
  readonly bookings: Bookings;
  private proc: ChildProcess | null = null;
  private stopped = false;
  private stopping: Promise<void> | null = null;
  private sessions = new Map<Role, Session>();

  constructor(
    readonly dir: string,
    readonly dbName: string,
    readonly port: number,
    private readonly dbCfg: { host: string; port: number; user: string; password: string },
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.host = `127.0.0.1:${port}`;
    this.mailLog = join(dir, 'mail.jsonl');
    this.debugLogPath = join(dir, 'wp-content', 'debug.log');
    this.bookings = new Bookings(this);
  }

  // -------------------------------------------------------------- lifecycle
  async startServer(workers: number): Promise<void> {
    const log = openSync(join(this.dir, 'php-server.log'), 'a');
    // detached → own process group (setsid), so stop() can kill the parent AND its forked workers.
    this.proc = spawn('php', ['-S', this.host, 'router.php'], {
      cwd: this.dir,
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, PHP_CLI_SERVER_WORKERS: String(workers) },
    });
    closeSync(log);
    this.proc.unref();
    let exited = false;
    this.proc.once('exit', () => (exited = true));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`php -S exited early:\n${readFileSync(join(this.dir, 'php-server.log'), 'utf8')}`);
      try {
        const r = await fetch(`${this.url}/wp-json/`);
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch {
        /* not up yet */
      }
      await sleep(100);
    }
    throw new Error(`WordPress did not answer GET /wp-json/ on ${this.url}`);
  }

  /** Kill the php process group, drop the database, remove the directory. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.stopped) return;
    await this.killGroup();
    try {
      const c = await mysql.createConnection({ host: this.dbCfg.host, port: this.dbCfg.port, user: this.dbCfg.user, password: this.dbCfg.password });
      await c.query(`DROP DATABASE IF EXISTS \`${this.dbName}\``);
      await c.end();
    } catch (e) {
      process.stderr.write(`[wp-harness] could not drop ${this.dbName}: ${String(e)}\n`);
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.stopped = true;
    live.delete(this);
  }

  private async killGroup(): Promise<void> {
    const pid = this.proc?.pid;
    if (!pid) return;
    const alive = () => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 30 && alive(); i++) await sleep(50);
    if (alive()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 20 && alive(); i++) await sleep(50);
    }
    this.proc = null;
  }

  /** Synchronous best-effort cleanup for process exit / signals. */
  stopSync(): void {
    if (this.stopped) return;
    const pid = this.proc?.pid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    try {
      execFileSync('mysql', ['-h', this.dbCfg.host, '-P', String(this.dbCfg.port), `-u${this.dbCfg.user}`, ...(this.dbCfg.password ? [`-p${this.dbCfg.password}`] : []), '-e', `DROP DATABASE IF EXISTS \`${this.dbName}\``], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
    rmSync(this.dir, { recursive: true, force: true });
    this.stopped = true;
    live.delete(this);
  }

  // -------------------------------------------------------------- auth
  /** Log in through wp-login.php (cookie + REST nonce), like a browser. */
  async login(role: Role): Promise<Session> {
    const u = this.users[role];
    const test = 'wordpress_test_cookie=WP%20Cookie%20check';
    const r = await http(`${this.url}/wp-login.php`, {
      form: { log: u.login, pwd: u.password, testcookie: 1, redirect_to: `${this.url}/wp-admin/`, 'wp-submit': 'Log In' },
      cookieHeader: test,
    });
    const cookies = r.setCookies.filter((c) => c.name.startsWith('wordpress_') && !c.name.startsWith('wordpress_test_cookie'));
    if (r.status !== 302 || !cookies.some((c) => c.name.startsWith('wordpress_logged_in_'))) {
      throw new Error(`login(${role}) failed: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    }
    const byName = new Map(cookies.map((c) => [c.name, c] as const));
    const all = [...byName.values()];
    const cookieHeader = [test, ...all.map((c) => `${c.name}=${c.value}`)].join('; ');
    const n = await http(`${this.url}/wp-admin/admin-ajax.php?action=rest-nonce`, { cookieHeader });
    if (n.status !== 200 || !/^[0-9a-f]{10}$/.test(n.text.trim())) throw new Error(`rest-nonce for ${role} failed: ${n.status} ${n.text.slice(0, 200)}`);
    const s: Session = { role, userId: u.id, cookieHeader, cookies: all, nonce: n.text.trim() };
    this.sessions.set(role, s);
    return s;
  }

  /** Cached session for a role (logs in on first use); null for 'guest'. */
  async session(as: As | undefined): Promise<Session | null> {
    if (as === undefined || as === 'guest') return null;
    if (typeof as === 'object') return as;
    return this.sessions.get(as) ?? this.login(as);
  }

  /** wp_create_nonce(action) for this session (or a guest), via the harness mu-plugin. */
  async nonce(action: string, as?: As): Promise<string> {
    const s = await this.session(as);
    const r = await http(`${this.url}/wp-admin/admin-ajax.php?action=bkx_harness_nonce&name=${encodeURIComponent(action)}`, { cookieHeader: s?.cookieHeader ?? '' });
    const j = JSON.parse(r.text) as { nonce: string };
    return j.nonce;
  }

  // -------------------------------------------------------------- HTTP
  async rest<T = any>(path: string, opts: RestOptions = {}): Promise<RestResponse<T>> {
    const s = await this.session(opts.as);
    const u = new URL(`${this.url}/wp-json${path.startsWith('/') ? path : `/${path}`}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) u.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
    if (s) headers['X-WP-Nonce'] = s.nonce;
    const r = await http(u.toString(), {
      method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'),
      json: opts.body,
      cookieHeader: s?.cookieHeader,
      headers,
    });
    let json: any = null;
    try {
      json = r.text ? JSON.parse(r.text) : null;
    } catch {
      json = null;
    }
    return { status: r.status, json: json as T, text: r.text, headers: r.headers };
  }

  /** Raw request to the site (path relative to the site URL), with a role's cookies. */
  async request(path: string, init: { as?: As; method?: string; form?: Record<string, string | number | (string | number)[]>; json?: unknown; headers?: Record<string, string>; redirect?: 'manual' | 'follow' } = {}) {
    const s = await this.session(init.as);
    return http(`${this.url}${path.startsWith('/') ? path : `/${path}`}`, { ...init, cookieHeader: s?.cookieHeader });
  }

  // -------------------------------------------------------------- PHP / files
  /** Run a PHP snippet after wp-load.php (CLI, HTTP_HOST set); returns stdout. `<?php` is optional. */
  async php(code: string): Promise<string> {
    const file = join(this.dir, `.harness-snippet-${randomBytes(6).toString('hex')}.php`);
    const body = code.trimStart().startsWith('<?php') ? code.trimStart().slice(5) : code;
    writeFileSync(
      file,
      `<?php\n$_SERVER['HTTP_HOST'] = ${phpLiteral(this.host)};\n$_SERVER['SERVER_NAME'] = '127.0.0.1';\n$_SERVER['REQUEST_URI'] = '/';\n` +
        `require ${phpLiteral(join(this.dir, 'wp-load.php'))};\n${body}\n`,
    );
    try {
      const { stdout } = await execFileP('php', [file], { cwd: this.dir, maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    } catch (e: any) {
      const tail = this.debugLog().split('\n').filter((l) => /PHP (Fatal|Parse|Warning)/.test(l)).slice(-5).join('\n');
      throw new Error(`site.php failed (exit ${e.code}): ${e.stderr || ''}${String(e.stdout || '').slice(0, 500)}\n${tail}`);
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Mails captured by the mail-capture mu-plugin, oldest first (always empty with `mail: { smtp }`). */
  mails(): CapturedMail[] {
    if (!existsSync(this.mailLog)) return [];
    return readFileSync(this.mailLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as CapturedMail);
  }

  clearMails(): void {
    writeFileSync(this.mailLog, '');
  }

  /** wp-content/debug.log ('' if none). */
  debugLog(): string {
    return existsSync(this.debugLogPath) ? readFileSync(this.debugLogPath, 'utf8') : '';
  }
}

// ------------------------------------------------------------------ bookings (BookingX entry points, as a browser)
class Bookings {
  constructor(private readonly site: SiteImpl) {}

  private static splitStart(start: string): { date: string; time: string } {
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})$/.exec(start.trim());
    if (!m) throw new Error(`start must be 'YYYY-MM-DD HH:MM', got ${start}`);
    // §2.3: the front form posts moment "Y-M-D" (not zero-padded).
    return { date: `${Number(m[1])}-${Number(m[2])}-${Number(m[3])}`, time: `${m[4]!.padStart(2, '0')}:${m[5]}` };
  }

  private async bookNow(form: Record<string, string | number | (string | number)[]>, as: As): Promise<number> {
    const security = await this.site.nonce('book-now', as);
    const r = await this.site.request('/?bkx-ajax=book_now', { as, form: { security, ...form } });
    let j: { result?: string; order_id?: number } = {};
    try {
      j = JSON.parse(r.text);
    } catch {
      /* fallthrough */
    }
    if (r.status !== 200 || j.result !== 'success' || !j.order_id) throw new Error(`book_now failed: HTTP ${r.status} ${r.text.slice(0, 400)}`);
    return Number(j.order_id);
  }

  /** Create a booking through `/?bkx-ajax=book_now` (the BookingX front form request). Returns the booking id. */
  async create(input: CreateBookingInput): Promise<number> {
    const c = { ...DEFAULT_CUSTOMER, ...(input.customer ?? {}) };
    const { date, time } = Bookings.splitStart(input.start);
    return this.bookNow(
      {
        seat_id: input.seatId ?? this.site.fixtures.seatId,
        base_id: input.serviceId,
        'extra_id[]': input.extraIds ?? [],
        service_extend: 0,
        date,
        booking_time: time,
        bkx_first_name: c.first_name,
        bkx_last_name: c.last_name,
        bkx_email_address: c.email,
        bkx_phone_number: c.phone,
        'payment_method[]': ['bkx_gateway_pay_later'],
        user_time_zone: 'America/New_York', // sent by the browser, dropped by BookingX (§8.7)
        last_page_url: `${this.site.url}/booking/`,
        ...(input.fields ?? {}),
      },
      input.as ?? 'guest',
    );
  }

  /** Admin "Reschedule": book_now with order_id + is_admin_edit (status resets to pending, author → admin). */
  async reschedule(id: number, opts: { start: string; serviceId?: number; seatId?: number; as?: As }): Promise<void> {
    const cur = await this.get(id);
    if (!cur) throw new Error(`booking ${id} not found`);
    const m = cur.meta;
    const omd = (m.order_meta_data ?? {}) as Record<string, any>;
    const pick = (k: string) => String(m[k] ?? omd[k] ?? '');
    const { date, time } = Bookings.splitStart(opts.start);
    await this.bookNow(
      {
        order_id: id,
        is_admin_edit: 1,
        edit_booking: 'true', // as the real form; core's `true ===` check never matches (§3.2)
        seat_id: opts.seatId ?? pick('seat_id'),
        base_id: opts.serviceId ?? pick('base_id'),
        service_extend: 0,
        date,
        booking_time: time,
        bkx_first_name: pick('first_name'),
        bkx_last_name: pick('last_name'),
        bkx_email_address: pick('email'),
        bkx_phone_number: pick('phone'),
      },
      opts.as ?? 'admin',
    );
  }

  /** Row-dropdown status change: admin-ajax `bkx_action_status` with status=`<id>_<s>` (fires bkx_order_edit_status twice). */
  async setStatus(id: number, status: BookingStatus, as: As = 'admin'): Promise<void> {
    const r = await this.site.request('/wp-admin/admin-ajax.php', { as, form: { action: 'bkx_action_status', status: `${id}_${status}` } });
    if (r.status !== 200) throw new Error(`bkx_action_status failed: ${r.status} ${r.text.slice(0, 300)}`);
  }

  /** Customer dashboard cancel (AJAX bookingx_booking_cancel, nonce booking-cancel). Returns true if cancelled. */
  async cancelAsCustomer(id: number, as: As = 'customer'): Promise<boolean> {
    const security = await this.site.nonce('booking-cancel', as);
    const r = await this.site.request('/wp-admin/admin-ajax.php', { as, form: { action: 'bookingx_booking_cancel', security, booking_id: id } });
    return r.text.trim() === '1';
  }

  /** Staff reassignment (AJAX bookingx_check_staff_availability): only seat_id + order_meta_data change. */
  async reassignSeat(id: number, seatId: number, as: As = 'admin'): Promise<void> {
    const security = await this.site.nonce('check-staff-availability', as);
    const r = await this.site.request('/wp-admin/admin-ajax.php', { as, form: { action: 'bookingx_check_staff_availability', security, seat_id: seatId, booking_record_id: id } });
    const j = JSON.parse(r.text) as { data?: number };
    if (j.data !== 1) throw new Error(`reassignSeat failed: ${r.text.slice(0, 300)}`);
  }

  /** Bulk action `mark_<s>` on wp-admin/edit.php with a real bulk-posts nonce (no bkx_order_edit_status). */
  async bulkStatus(ids: number[], status: Exclude<BookingStatus, 'failed'>, as: As = 'admin'): Promise<void> {
    const nonce = await this.site.nonce('bulk-posts', as);
    const q = new URLSearchParams({ post_type: 'bkx_booking', action: `mark_${status}`, _wpnonce: nonce, _wp_http_referer: '/wp-admin/edit.php?post_type=bkx_booking' });
    for (const id of ids) q.append('post[]', String(id));
    const r = await this.site.request(`/wp-admin/edit.php?${q.toString()}`, { as });
    if (r.status !== 302) throw new Error(`bulk mark_${status} failed: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  }

  private async postAction(id: number, action: 'trash' | 'untrash' | 'delete', as: As): Promise<void> {
    const nonce = await this.site.nonce(`${action}-post_${id}`, as);
    const r = await this.site.request(`/wp-admin/post.php?post=${id}&action=${action}&_wpnonce=${nonce}`, { as });
    if (r.status !== 302) throw new Error(`post.php action=${action} failed: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  }

  /** wp-admin/post.php?action=trash (the row action BookingX labels "Cancel"). */
  trash(id: number, as: As = 'admin') {
    return this.postAction(id, 'trash', as);
  }
  /** wp-admin/post.php?action=untrash. Note: WordPress ≥5.6 restores to 'draft' (BookingX adds no filter). */
  untrash(id: number, as: As = 'admin') {
    return this.postAction(id, 'untrash', as);
  }
  /** wp-admin/post.php?action=delete (permanent). */
  delete(id: number, as: As = 'admin') {
    return this.postAction(id, 'delete', as);
  }

  /** Post status, author, title and all meta (unserialized), or null if the post is gone. */
  async get(id: number): Promise<BookingSnapshot | null> {
    const out = await this.site.php(`
      $id = ${Number(id)};
      clean_post_cache($id);
      $p = get_post($id);
      if (!$p) { echo 'null'; return; }
      $meta = array();
      foreach (get_post_meta($id) as $k => $vals) { $meta[$k] = maybe_unserialize($vals[0]); }
      echo wp_json_encode(array('id' => $id, 'status' => $p->post_status, 'author' => (int) $p->post_author, 'title' => $p->post_title, 'meta' => $meta));
    `);
    return JSON.parse(out.trim()) as BookingSnapshot | null;
  }
}

export type Site = SiteImpl;
export type { Bookings };

// ------------------------------------------------------------------ startSite
export async function startSite(options: SiteOptions = {}): Promise<Site> {
  installExitHandlers();
  const dbCfg = { host: options.db?.host ?? '127.0.0.1', port: options.db?.port ?? 3306, user: options.db?.user ?? 'root', password: options.db?.password ?? '' };
  const wpSource = options.wpSource ?? '/usr/share/wordpress';
  const pluginDir = resolve(options.pluginDir ?? join(REPO_ROOT, 'plugin'));
  const pluginMain = join(pluginDir, `${PLUGIN_SLUG}.php`);
  const withPlugin = options.withPlugin ?? 'auto';
  if (withPlugin === true && !existsSync(pluginMain)) throw new Error(`withPlugin: true but ${pluginMain} does not exist`);
  const usePlugin = withPlugin === true || (withPlugin === 'auto' && existsSync(pluginMain));

  const smtp = options.mail && options.mail !== 'capture' ? options.mail.smtp : null;
  if (smtp && !(Number.isInteger(smtp.port) && smtp.port > 0)) throw new Error(`mail.smtp.port must be a port number, got ${String(smtp.port)}`);
  const port = options.port ?? (await freePort());
  const dbName = `bkx_wp_${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'bkx-wp-'));
  const site = new SiteImpl(dir, dbName, port, dbCfg);
  live.add(site);
  try {
    // 1. core: cp -rL (core has relative symlinks into /usr/share/javascript etc.), drop .htaccess.
    await execFileP('cp', ['-rL', `${wpSource}/.`, dir]);
    rmSync(join(dir, '.htaccess'), { force: true });
    const content = join(dir, 'wp-content');
    for (const d of ['plugins', 'themes', 'mu-plugins', 'uploads']) mkdirSync(join(content, d), { recursive: true });
    const theme = join(content, 'themes', 'twentytwentythree');
    if (!existsSync(theme)) {
      const src = ['/usr/share/wordpress/wp-content/themes/twentytwentythree', '/var/lib/wordpress/wp-content/themes/twentytwentythree'].find((p) => existsSync(p));
      if (!src) throw new Error('theme twentytwentythree not found (apt-get install wordpress-theme-twentytwentythree)');
      await execFileP('cp', ['-rL', src, theme]);
    }

    // 2. database
    const c = await mysql.createConnection({ host: dbCfg.host, port: dbCfg.port, user: dbCfg.user, password: dbCfg.password });
    await c.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await c.end();

    // 3. wp-config.php
    const constants: Record<string, string | number | boolean> = {
      DB_NAME: dbName,
      DB_USER: dbCfg.user,
      DB_PASSWORD: dbCfg.password,
      DB_HOST: `${dbCfg.host}:${dbCfg.port}`,
      DB_CHARSET: 'utf8mb4',
      DB_COLLATE: 'utf8mb4_unicode_ci',
      WP_HOME: site.url,
      WP_SITEURL: site.url,
      WP_ENVIRONMENT_TYPE: 'local',
      WP_DEBUG: true,
      WP_DEBUG_LOG: true,
      WP_DEBUG_DISPLAY: false,
      DISABLE_WP_CRON: true,
      WP_HTTP_BLOCK_EXTERNAL: true,
      WP_ACCESSIBLE_HOSTS: '127.0.0.1,localhost',
      AUTOMATIC_UPDATER_DISABLED: true,
      WP_AUTO_UPDATE_CORE: false,
      FS_METHOD: 'direct',
      BKX_TEST_MAIL_LOG: site.mailLog,
      ...(smtp ? { BKX_TEST_SMTP_HOST: smtp.host ?? '127.0.0.1', BKX_TEST_SMTP_PORT: smtp.port, BKX_TEST_SMTP_FROM: smtp.from ?? 'wordpress@example.test' } : {}),
      ...(options.constants ?? {}),
    };
    for (const k of ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT']) {
      constants[k] ??= randomBytes(32).toString('hex');
    }
    const lines = Object.entries(constants).map(([k, v]) => `if ( ! defined( '${k}' ) ) define( '${k}', ${phpLiteral(v)} );`);
    writeFileSync(
      join(dir, 'wp-config.php'),
      `<?php\n// Generated by @bkx-video/wp-harness.\n${lines.join('\n')}\n$table_prefix = 'wp_';\n@ini_set( 'display_errors', '0' );\nif ( ! defined( 'ABSPATH' ) ) define( 'ABSPATH', __DIR__ . '/' );\nrequire_once ABSPATH . 'wp-settings.php';\n`,
    );
    copyFileSync(join(FIXTURES_DIR, 'router.php'), join(dir, 'router.php'));

    // 4. plugins
    cpSync(join(FIXTURES_DIR, 'bookingx-standin'), join(content, 'plugins', 'bookingx-standin'), { recursive: true });
    const mailPlugin = smtp ? 'bkx-test-mail-smtp.php' : 'bkx-test-mail-capture.php';
    for (const f of [join(FIXTURES_DIR, 'mu-plugins', mailPlugin), join(FIXTURES_DIR, 'mu-plugins', 'bkx-test-harness.php'), ...(options.muPlugins ?? [])]) {
      copyFileSync(f, join(content, 'mu-plugins', basename(f)));
    }
    if (usePlugin) {
      const target = join(content, 'plugins', PLUGIN_SLUG);
      if ((options.pluginLink ?? 'symlink') === 'symlink') symlinkSync(pluginDir, target, 'dir');
      else cpSync(pluginDir, target, { recursive: true, dereference: true, filter: (src) => !/[\\/](node_modules|\.git)([\\/]|$)/.test(src) });
    }

    // 5. install
    const passwords = Object.fromEntries((['admin', 'provider', 'manager', 'customer'] as const).map((r) => [r, `${r}-${randomBytes(8).toString('hex')}`])) as Record<Role, string>;
    const cfg = { siteDir: dir, host: site.host, timezone: options.timezone ?? 'Europe/Berlin', pluginFile: usePlugin ? `${PLUGIN_SLUG}/${PLUGIN_SLUG}.php` : '', passwords };
    const runInstall = async (phase: 'install' | 'fixtures') => {
      let stdout = '';
      try {
        ({ stdout } = await execFileP('php', [join(FIXTURES_DIR, 'install.php'), phase], { cwd: dir, env: { ...process.env, BKX_HARNESS_CONFIG: JSON.stringify(cfg) }, maxBuffer: 16 * 1024 * 1024 }));
      } catch (e: any) {
        throw new Error(`install.php ${phase} failed (exit ${e.code}): ${e.stderr || ''}\n${(e.stdout || '').slice(-2000)}\n${site.debugLog().slice(-2000)}`);
      }
      const line = stdout.split('\n').find((l) => l.startsWith('BKX_HARNESS_RESULT '));
      if (!line) throw new Error(`install.php ${phase} gave no result:\n${stdout.slice(-2000)}\n${site.debugLog().slice(-2000)}`);
      return JSON.parse(line.slice('BKX_HARNESS_RESULT '.length)) as {
        users: Record<Role, Omit<SiteUser, 'password'>>;
        fixtures: Site['fixtures'];
        activation: Record<string, ActivationResult>;
        activePlugins: string[];
      };
    };
    const inst = await runInstall('install');
    site.activation = inst.activation;
    if (!inst.activation['bookingx-standin/bookingx-standin.php']?.ok) throw new Error(`stand-in activation failed: ${JSON.stringify(inst.activation)}`);
    if (usePlugin) {
      const a = inst.activation[cfg.pluginFile];
      site.pluginActive = !!a?.ok && inst.activePlugins.includes(cfg.pluginFile);
      if (withPlugin === true && !site.pluginActive) throw new Error(`plugin activation failed: ${JSON.stringify(a)}`);
    }
    const res = await runInstall('fixtures');
    site.users = Object.fromEntries(Object.entries(res.users).map(([r, u]) => [r, { ...u, id: Number(u.id), password: passwords[r as Role] }])) as Record<Role, SiteUser>;
    site.fixtures = res.fixtures;
    if (usePlugin) site.pluginActive = site.pluginActive && res.activePlugins.includes(cfg.pluginFile);

    // 6. server
    await site.startServer(options.workers ?? 4);
    return site;
  } catch (e) {
    await site.stop();
    throw e;
  }
}
