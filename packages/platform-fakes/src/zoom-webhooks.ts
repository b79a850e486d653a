// Zoom webhook deliveries (platform-contracts §1.6), as Zoom sends them: the envelope, the v0
// signature over the raw body with the app's secret token, the timestamp header in seconds, and the
// knobs the reference asks for: unsigned, wrong signature, old timestamp, duplicate delivery,
// string vs number `id`.

import { createHmac, randomUUID } from 'node:crypto';

import type { ZoomFakeMeeting } from './zoom';
import type { ZoomFakeRecording } from './zoom-recordings';

export interface ZoomWebhookEnvelope {
  event: string;
  event_ts: number;
  payload: { account_id: string; object: Record<string, unknown>; [k: string]: unknown };
  download_token?: string;
}

export interface ZoomWebhookSignOptions {
  /** Unix seconds in `x-zm-request-timestamp` (default now). */
  timestamp?: number;
  /** `valid` (default), `wrong` (signed with another secret), `none` (no signature headers). */
  signature?: 'valid' | 'wrong' | 'none';
}

export interface ZoomWebhookDelivery {
  body: string;
  headers: Record<string, string>;
}

/** The headers and exact body bytes of one delivery. */
export function signZoomWebhook(secret: string, envelope: ZoomWebhookEnvelope | string, opts: ZoomWebhookSignOptions = {}): ZoomWebhookDelivery {
  const body = typeof envelope === 'string' ? envelope : JSON.stringify(envelope);
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Zoom Marketplace/1.0a' };
  if (opts.signature !== 'none') {
    const key = opts.signature === 'wrong' ? `${secret}-not-it` : secret;
    headers['x-zm-request-timestamp'] = timestamp;
    headers['x-zm-signature'] = `v0=${createHmac('sha256', key).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  }
  return { body, headers };
}

/** POSTs one delivery `times` times (Zoom retries the same event); returns each answer. */
export async function deliverZoomWebhook(
  url: string,
  secret: string,
  envelope: ZoomWebhookEnvelope | string,
  opts: ZoomWebhookSignOptions & { times?: number } = {},
): Promise<Array<{ status: number; body: string }>> {
  const answers: Array<{ status: number; body: string }> = [];
  for (let i = 0; i < (opts.times ?? 1); i++) {
    const { body, headers } = signZoomWebhook(secret, envelope, opts);
    const res = await fetch(url, { method: 'POST', headers, body });
    answers.push({ status: res.status, body: await res.text() });
  }
  return answers;
}

/** `endpoint.url_validation`, as Zoom sends it when the endpoint URL is saved (and every 72 h). */
export function zoomUrlValidationEvent(plainToken = randomUUID().replace(/-/g, '')): ZoomWebhookEnvelope {
  return { event: 'endpoint.url_validation', event_ts: Date.now(), payload: { account_id: '', plainToken, object: {} } } as ZoomWebhookEnvelope;
}

export interface ZoomWebhookParticipant {
  user_name: string;
  email?: string;
  /** The Zoom user id when signed in (the host's equals the meeting's `host_id`). */
  id?: string;
  user_id?: string;
  participant_uuid?: string;
}

/**
 * A meeting event for a meeting of the fake: `meeting.*` objects carry the id as a **string**,
 * `recording.*` as a **number** (the reference's trap); `idAs` overrides it to test both.
 */
export function zoomMeetingEvent(
  meeting: Pick<ZoomFakeMeeting, 'id' | 'uuid' | 'host_id' | 'topic' | 'type' | 'start_time' | 'duration' | 'timezone'>,
  event: 'meeting.started' | 'meeting.ended' | 'meeting.participant_joined' | 'meeting.participant_left',
  o: { at: Date; participant?: ZoomWebhookParticipant; accountId?: string; idAs?: 'string' | 'number'; eventTs?: number },
): ZoomWebhookEnvelope {
  const object: Record<string, unknown> = {
    id: o.idAs === 'number' ? Number(meeting.id) : String(meeting.id),
    uuid: meeting.uuid,
    host_id: meeting.host_id,
    topic: meeting.topic,
    type: meeting.type,
    start_time: event === 'meeting.started' || event === 'meeting.ended' ? o.at.toISOString().replace(/\.\d{3}Z$/, 'Z') : meeting.start_time,
    timezone: meeting.timezone ?? 'UTC',
    duration: meeting.duration ?? 30,
  };
  if (event === 'meeting.ended') {
    object.end_time = o.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  if (o.participant) {
    const p = o.participant;
    const time = o.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    object.participant = {
      user_id: p.user_id ?? String(Math.floor(Math.random() * 1e8)),
      user_name: p.user_name,
      id: p.id ?? '',
      participant_uuid: p.participant_uuid ?? randomUUID(),
      email: p.email ?? '',
      registrant_id: '',
      participant_user_id: p.id ?? '',
      customer_key: '',
      phone_number: '',
      ...(event === 'meeting.participant_left' ? { leave_time: time, leave_reason: 'left the meeting' } : { join_time: time }),
    };
  }
  return { event, event_ts: o.eventTs ?? o.at.getTime(), payload: { account_id: o.accountId ?? 'fake-account', object } };
}

/**
 * `recording.completed` (or `recording.transcript_completed`) for a recording of the fake (§1.6):
 * the meeting `id` is a **number** here, `download_token` sits at the top level, and the object
 * lists the files as `GET /meetings/{id}/recordings` does. A transcript event lists only the
 * TRANSCRIPT files.
 */
export function zoomRecordingEvent(
  recording: ZoomFakeRecording,
  event: 'recording.completed' | 'recording.transcript_completed' = 'recording.completed',
  o: { idAs?: 'string' | 'number'; eventTs?: number; withDownloadToken?: boolean } = {},
): ZoomWebhookEnvelope {
  const { files, download_token, downloadTokenExpiresAt: _exp, downloadTokens: _tokens, id, ...rest } = recording;
  const chosen = files.filter((f) => (event === 'recording.transcript_completed' ? f.file_type === 'TRANSCRIPT' : f.file_type !== 'TRANSCRIPT'));
  const object: Record<string, unknown> = {
    ...rest,
    id: o.idAs === 'string' ? id : Number(id),
    total_size: chosen.reduce((n, f) => n + f.file_size, 0),
    recording_count: chosen.length,
    auto_delete: false,
    recording_files: chosen.map(({ data: _data, ...f }) => f),
    participant_audio_files: [],
  };
  const envelope: ZoomWebhookEnvelope = { event, event_ts: o.eventTs ?? Date.now(), payload: { account_id: recording.account_id, object } };
  if (o.withDownloadToken !== false) envelope.download_token = download_token;
  return envelope;
}
