import type {
	SecretSettingKey,
	SecretState,
	SettingKey,
	Settings,
	SettingsView,
	SidecarStatus,
} from '@bkx-video/contracts';

import type { ApiErrorShape } from '../api';

export type PublicSettings = Omit< Settings, SecretSettingKey >;
export type SecretsState = Partial< Record< SecretSettingKey, SecretState > >;

/**
 * An edited value. Non-secret keys hold the value as typed (a number field may briefly hold a
 * string that is not a number yet); a secret holds the new value, or `null` for "clear".
 */
export type DraftValue = string | number | boolean | string[] | null;
export type Draft = Partial< Record< SettingKey, DraftValue > >;

/** key → message; `_` for problems not tied to a field. */
export type FieldErrors = Partial< Record< string, string > >;

export interface SidecarStatusState {
	data: SidecarStatus | null;
	error: ApiErrorShape | null;
	isLoading: boolean;
}

export interface State {
	settings: PublicSettings | null;
	secrets: SecretsState;
	draft: Draft;
	fieldErrors: FieldErrors;
	isLoading: boolean;
	isSaving: boolean;
	loadError: ApiErrorShape | null;
	sidecarStatus: SidecarStatusState;
}

export type Action =
	| { type: 'SETTINGS_LOAD_START' }
	| { type: 'RECEIVE_SETTINGS'; view: SettingsView }
	| { type: 'RECEIVE_SETTINGS_ERROR'; error: ApiErrorShape }
	| {
			type: 'EDIT_SETTING';
			key: SettingKey;
			value: DraftValue;
			error: string | null;
	  }
	| { type: 'DISCARD_DRAFT' }
	| { type: 'SET_FIELD_ERRORS'; fieldErrors: FieldErrors }
	| { type: 'SAVE_START' }
	| { type: 'SAVE_SUCCESS'; view: SettingsView; sent: Draft }
	| {
			type: 'SAVE_FAILURE';
			error: ApiErrorShape;
			fieldErrors: FieldErrors;
	  }
	| { type: 'SIDECAR_STATUS_START' }
	| { type: 'RECEIVE_SIDECAR_STATUS'; status: SidecarStatus }
	| { type: 'RECEIVE_SIDECAR_STATUS_ERROR'; error: ApiErrorShape };
