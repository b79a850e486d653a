/**
 * The state a RoomClient exposes to its UI (and to tests).
 */

/**
 * Internal dependencies
 */
import type { PeerInfo, QualityLevel, RoomTicket } from '@bkx-video/contracts';
import type { QualitySample } from './quality';

export type { PeerInfo, QualityLevel, RoomTicket };

/**
 * Where the person is: `loading` the ticket → `preflight` (device check, Join) → `connecting` →
 * `waiting` (waiting room) or `joined` → `ended` / `left` / `refused`. `unavailable`: the first
 * ticket could not be had (not open yet, no access, service down).
 */
export type RoomPhase =
	| 'idle'
	| 'loading'
	| 'unavailable'
	| 'preflight'
	| 'connecting'
	| 'waiting'
	| 'joined'
	| 'ended'
	| 'left'
	| 'refused';

/** The signaling socket: `reconnecting` between tries, `lost` after the last one (Retry). */
export type ConnectionStatus =
	'idle' | 'connecting' | 'open' | 'reconnecting' | 'lost';

/** A problem to explain: a room `error`, a REST refusal, a capture failure… */
export interface RoomProblem {
	code: string;
	/** The server's own text, shown when the UI has no translation for the code. */
	message?: string;
}

export interface RemotePeer {
	info: PeerInfo;
	/** Remote audio and video, null until a track arrives. */
	stream: MediaStream | null;
	/** The level the peer reports about itself (`connection-quality-changed`), null until known. */
	reportedQuality: QualityLevel | null;
	/** This side's measurement of the connection to that peer. */
	quality: QualityLevel;
	connectionState: RTCPeerConnectionState;
}

export interface LobbyEntry {
	id: string;
	name: string;
}

export interface ChatMessage {
	/** Local key (list rendering). */
	key: string;
	from: string;
	name: string;
	text: string;
	/** ISO instant (server time; local time until the server's echo for own messages). */
	at: string;
	own: boolean;
	/** Own message not yet echoed by the server. */
	pending: boolean;
	/** A file shared in the room (`file-shared`): the message is its download. */
	file?: SharedFile;
}

/** A file shared in the room, as the chat shows it. */
export interface SharedFile {
	id: number;
	name: string;
	size: number;
	mime: string;
}

export interface LocalMedia {
	/** Preview of what is sent: microphone plus camera or screen. */
	stream: MediaStream | null;
	audioTrack: MediaStreamTrack | null;
	cameraTrack: MediaStreamTrack | null;
	screenTrack: MediaStreamTrack | null;
	/** Microphone on (not muted). */
	audio: boolean;
	/** Camera on. */
	video: boolean;
	/** Capture problems of the last start (denied, unavailable…). */
	problems: string[];
	audioInput: string | undefined;
	videoInput: string | undefined;
	/** Speaker chosen for remote audio (`setSinkId`), undefined = default. */
	audioOutput: string | undefined;
}

/** What changed, so a view updates only its part. */
export type RoomTopic =
	| 'phase'
	| 'connection'
	| 'peers'
	| 'lobby'
	| 'waiting'
	| 'chat'
	| 'board'
	| 'local'
	| 'recording'
	| 'quality'
	| 'problem';

export interface RoomClientEvents {
	change: RoomTopic;
	'peer-joined': PeerInfo;
	'peer-left': PeerInfo;
	chat: ChatMessage;
	/** A problem that does not end anything (rate limited, screen share failed…). */
	notice: RoomProblem;
}

/** `client.stats()`: figures for tests, support and the UI. */
export interface RoomStats {
	phase: RoomPhase;
	connection: ConnectionStatus;
	selfId: string | null;
	quality: QualityLevel;
	peers: Array< {
		id: string;
		name: string;
		polite: boolean;
		quality: QualityLevel;
		reportedQuality: QualityLevel | null;
		connectionState: RTCPeerConnectionState;
		iceConnectionState: RTCIceConnectionState;
		signalingState: RTCSignalingState;
		sample: QualitySample | null;
	} >;
}
