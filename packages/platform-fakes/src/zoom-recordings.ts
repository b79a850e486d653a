// Zoom cloud recordings for the Zoom fake (platform-contracts §1.5 and the `recording.*` webhooks
// of §1.6): `GET /v2/meetings/{meetingId}/recordings` and the file downloads behind
// `download_url`, which take `Authorization: Bearer <OAuth token or the webhook's download_token>`
// (never `?access_token=`, refused since 2023-02).
//
// Knobs for what the reference leaves open or what a test needs to break: a 302 to storage before
// the bytes [U], Range support, a slow link (bytes per second), a connection dropped after N bytes
// (a crash mid-download), and the download token's lifetime (24 h by default).

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { sleep } from './http-fake';

export type ZoomRecordingFileType = 'MP4' | 'M4A' | 'TRANSCRIPT' | 'CHAT' | 'CC' | 'TIMELINE';

export interface ZoomFakeRecordingFile {
  id: string;
  meeting_id: string;
  recording_start: string;
  recording_end: string;
  file_type: ZoomRecordingFileType;
  file_extension: string;
  file_size: number;
  play_url: string;
  download_url: string;
  status: 'completed' | 'processing';
  recording_type: string;
  /** The bytes served at `download_url` (not part of the API view). */
  data: Buffer;
}

export interface ZoomFakeRecording {
  uuid: string;
  /** The meeting's id (digit string; rendered as a number in `recording.*` events). */
  id: string;
  account_id: string;
  host_id: string;
  host_email: string;
  topic: string;
  type: number;
  start_time: string;
  duration: number;
  timezone: string;
  share_url: string;
  password: string;
  recording_play_passcode: string;
  files: ZoomFakeRecordingFile[];
  /** The token `recording.completed` carries; valid `downloadTokenTtlSeconds`. */
  download_token: string;
  downloadTokenExpiresAt: number;
  /** Every download credential handed out (webhook tokens and API `download_access_token`s) → expiry (epoch s). */
  downloadTokens: Map<string, number>;
}

export interface ZoomDownloadKnobs {
  /** Answer 302 to a storage URL first [U] (the client must follow it, keeping no Authorization to another host). */
  redirect: boolean;
  /** Honour `Range: bytes=N-` with 206 (true) or always send the whole file with 200 (false). */
  ranges: boolean;
  /** Throttle the body (bytes per second); null = as fast as possible. */
  bytesPerSecond: number | null;
  /** Destroy the connection after this many body bytes of the next download (then cleared). */
  dropAfterBytes: number | null;
  /** Lifetime of the webhook download token (reference: 24 h). */
  downloadTokenTtlSeconds: number;
}

export interface ZoomRecordingFileSpec {
  fileType: ZoomRecordingFileType;
  data: Buffer;
  recordingType?: string;
  status?: 'completed' | 'processing';
}

const EXTENSION: Record<ZoomRecordingFileType, string> = { MP4: 'MP4', M4A: 'M4A', TRANSCRIPT: 'VTT', CHAT: 'TXT', CC: 'VTT', TIMELINE: 'JSON' };
const DEFAULT_TYPE: Partial<Record<ZoomRecordingFileType, string>> = {
  MP4: 'shared_screen_with_speaker_view',
  M4A: 'audio_only',
  TRANSCRIPT: 'audio_transcript',
  CHAT: 'chat_file',
};

const zoomTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createZoomRecordings(o: { origin: () => string; accountId: () => string; now: () => number; oauthTokenValid: (token: string) => boolean }) {
  /** By meeting instance uuid, newest last. */
  const recordings = new Map<string, ZoomFakeRecording>();
  const files = new Map<string, { file: ZoomFakeRecordingFile; recording: ZoomFakeRecording }>();
  const defaults = (): ZoomDownloadKnobs => ({ redirect: false, ranges: true, bytesPerSecond: null, dropAfterBytes: null, downloadTokenTtlSeconds: 86_400 });
  let knobs = defaults();

  /** The API view of one file: CC/TB/TIMELINE entries lack id, status, file_size, recording_type, play_url (§1.5). */
  const fileView = (f: ZoomFakeRecordingFile): Record<string, unknown> => {
    const { data: _data, ...view } = f;
    if (f.file_type === 'CC' || f.file_type === 'TIMELINE') {
      const { id: _id, status: _status, file_size: _size, recording_type: _type, play_url: _play, ...rest } = view;
      return rest;
    }
    return view;
  };

  const recordingView = (r: ZoomFakeRecording, o2: { idAsNumber: boolean; downloadAccessToken?: boolean }): Record<string, unknown> => {
    const { files: list, download_token: _token, downloadTokenExpiresAt: _exp, downloadTokens, host_email, id, ...rest } = r;
    // `include_fields=download_access_token` hands out a fresh credential (lifetime [U]: 24 h here).
    let token: string | undefined;
    if (o2.downloadAccessToken) {
      token = randomBytes(32).toString('base64url');
      downloadTokens.set(token, o.now() + 86_400);
    }
    const visible = list.filter((f) => f.file_type !== 'TRANSCRIPT' || f.status === 'completed');
    return {
      ...rest,
      id: o2.idAsNumber ? Number(id) : id,
      host_email,
      total_size: visible.reduce((n, f) => n + f.file_size, 0),
      recording_count: visible.length,
      auto_delete: false,
      recording_files: visible.map(fileView),
      participant_audio_files: [],
      ...(o2.downloadAccessToken ? { download_access_token: token } : {}),
    };
  };

  return {
    recordings,
    knobs: () => ({ ...knobs }),
    setKnobs(patch: Partial<ZoomDownloadKnobs>) {
      knobs = { ...knobs, ...patch };
    },
    reset() {
      recordings.clear();
      files.clear();
      knobs = defaults();
    },

    /** Adds a finished cloud recording of a meeting instance; returns it (see `zoomRecordingEvent`). */
    add(
      meeting: { id: string; uuid: string; host_id: string; host_email: string; topic: string; type: number; timezone?: string },
      specs: ZoomRecordingFileSpec[],
      at: { start: Date; end: Date },
    ): ZoomFakeRecording {
      const existing = recordings.get(meeting.uuid);
      const recording: ZoomFakeRecording = existing ?? {
        uuid: meeting.uuid,
        id: meeting.id,
        account_id: o.accountId(),
        host_id: meeting.host_id,
        host_email: meeting.host_email,
        topic: meeting.topic,
        type: meeting.type,
        start_time: zoomTime(at.start.getTime()),
        duration: Math.max(1, Math.round((at.end.getTime() - at.start.getTime()) / 60_000)),
        timezone: meeting.timezone ?? 'UTC',
        share_url: `${o.origin()}/rec/share/${randomBytes(12).toString('base64url')}`,
        password: '',
        recording_play_passcode: randomBytes(16).toString('base64url'),
        files: [],
        download_token: randomBytes(32).toString('base64url'),
        downloadTokenExpiresAt: o.now() + knobs.downloadTokenTtlSeconds,
        downloadTokens: new Map(),
      };
      for (const spec of specs) {
        const id = randomUUID();
        const file: ZoomFakeRecordingFile = {
          id,
          meeting_id: meeting.uuid,
          recording_start: zoomTime(at.start.getTime()),
          recording_end: zoomTime(at.end.getTime()),
          file_type: spec.fileType,
          file_extension: EXTENSION[spec.fileType],
          file_size: spec.data.length,
          play_url: `${o.origin()}/rec/play/${id}`,
          download_url: `${o.origin()}/rec/download/${id}`,
          status: spec.status ?? 'completed',
          recording_type: spec.recordingType ?? DEFAULT_TYPE[spec.fileType] ?? 'timeline',
          data: spec.data,
        };
        recording.files.push(file);
        files.set(id, { file, recording });
      }
      // A new event carries a new download token (each webhook does).
      recording.download_token = randomBytes(32).toString('base64url');
      recording.downloadTokenExpiresAt = o.now() + knobs.downloadTokenTtlSeconds;
      recording.downloadTokens.set(recording.download_token, recording.downloadTokenExpiresAt);
      recordings.delete(meeting.uuid);
      recordings.set(meeting.uuid, recording);
      return recording;
    },

    recordingView,

    /**
     * `GET /meetings/{meetingId}/recordings`: the numeric id names the latest instance; a uuid that
     * starts with `/` or holds `//` arrives double-encoded (§1.5), so it is decoded twice.
     */
    find(rawSegment: string): ZoomFakeRecording | undefined {
      let key = decodeURIComponent(rawSegment);
      if (key.includes('%2F') || key.includes('%2f')) key = decodeURIComponent(key);
      if (/^\d+$/.test(key)) return [...recordings.values()].filter((r) => r.id === key).at(-1);
      return recordings.get(key);
    },

    /** `GET /rec/download/{fileId}` (and `/rec/storage/{fileId}` after the optional 302). */
    async serve(req: IncomingMessage, url: URL, res: ServerResponse): Promise<number> {
      const m = /^\/rec\/(download|storage)\/([^/]+)$/.exec(url.pathname);
      const entry = m ? files.get(decodeURIComponent(m[2]!)) : undefined;
      const fail = (status: number, code: number, message: string) => {
        res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
        res.end(JSON.stringify({ code, message }));
        return status;
      };
      if (!m || !entry) return fail(404, 3301, 'This recording does not exist.');
      if (m[1] === 'download') {
        if (url.searchParams.has('access_token')) return fail(401, 124, 'Invalid access token.');
        const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const { recording } = entry;
        const byDownloadToken = o.now() < (recording.downloadTokens.get(bearer) ?? 0);
        if (!bearer || (!byDownloadToken && !o.oauthTokenValid(bearer))) return fail(401, 124, 'Invalid access token.');
        if (knobs.redirect) {
          res.writeHead(302, { location: `${o.origin()}/rec/storage/${entry.file.id}?sig=${randomBytes(8).toString('hex')}` });
          res.end();
          return 302;
        }
      }
      const data = entry.file.data;
      let start = 0;
      let status = 200;
      const headers: Record<string, string> = { 'content-type': entry.file.file_type === 'MP4' ? 'video/mp4' : 'application/octet-stream' };
      const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
      if (knobs.ranges) headers['accept-ranges'] = 'bytes';
      if (range && knobs.ranges) {
        start = Number(range[1]);
        if (start >= data.length) {
          res.writeHead(416, { 'content-range': `bytes */${data.length}` });
          res.end();
          return 416;
        }
        status = 206;
        headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
      }
      headers['content-length'] = String(data.length - start);
      res.writeHead(status, headers);
      const drop = knobs.dropAfterBytes;
      if (drop !== null) knobs.dropAfterBytes = null;
      const step = knobs.bytesPerSecond ? Math.max(1024, Math.floor(knobs.bytesPerSecond / 20)) : 256 * 1024;
      let sent = 0;
      for (let at = start; at < data.length; at += step) {
        let chunk = data.subarray(at, Math.min(data.length, at + step));
        if (drop !== null && sent + chunk.length >= drop) {
          chunk = chunk.subarray(0, Math.max(0, drop - sent));
          if (chunk.length) res.write(chunk);
          await sleep(20);
          req.socket.destroy();
          return status;
        }
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
        sent += chunk.length;
        if (res.destroyed) return status;
        if (knobs.bytesPerSecond) await sleep((chunk.length / knobs.bytesPerSecond) * 1000);
      }
      res.end();
      return status;
    },
  };
}

export type ZoomRecordings = ReturnType<typeof createZoomRecordings>;
