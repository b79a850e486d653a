import {
	isSecretSettingKey,
	type SecretSettingKey,
	type SecretState,
	type SettingKey,
	type SettingsUpdate,
	type SidecarStatus,
} from '@bkx-video/contracts';

import type { ApiErrorShape } from '../api';
import type {
	Draft,
	DraftValue,
	FieldErrors,
	PublicSettings,
	SecretsState,
	State,
} from './types';

/**
 * Saved non-secret settings (null until loaded). Resolved by `resolvers.getSettings`.
 * @param state
 */
export function getSettings( state: State ): PublicSettings | null {
	return state.settings;
}

export function getSecrets( state: State ): SecretsState {
	return state.secrets;
}

export function getSecretState(
	state: State,
	key: SecretSettingKey
): SecretState {
	return state.secrets[ key ] ?? { is_set: false, tail: '' };
}

export function getDraft( state: State ): Draft {
	return state.draft;
}

/**
 * What a control shows: the edited value, else the saved one. A secret shows what was typed
 * (never the saved value, which the browser never receives); `null` ("clear") shows as empty.
 * @param state
 * @param key
 */
export function getFieldValue( state: State, key: SettingKey ): DraftValue {
	if ( key in state.draft ) {
		return state.draft[ key ] ?? ( isSecretSettingKey( key ) ? '' : null );
	}
	if ( isSecretSettingKey( key ) ) {
		return '';
	}
	const saved = state.settings?.[ key as keyof PublicSettings ];
	return saved === undefined ? null : saved;
}

/**
 * Whether a secret is marked to be cleared at the next save.
 * @param state
 * @param key
 */
export function isSecretMarkedForClearing(
	state: State,
	key: SecretSettingKey
): boolean {
	return key in state.draft && state.draft[ key ] === null;
}

export function isEdited( state: State, key: SettingKey ): boolean {
	return key in state.draft;
}

export function getFieldErrors( state: State ): FieldErrors {
	return state.fieldErrors;
}

export function getFieldError( state: State, key: string ): string | null {
	return state.fieldErrors[ key ] ?? null;
}

export function hasFieldErrors( state: State ): boolean {
	return Object.keys( state.fieldErrors ).length > 0;
}

/**
 * The PUT body: only changed keys; secrets only when typed (string) or cleared (null).
 * @param state
 */
export function getChangedSettings( state: State ): SettingsUpdate {
	return { ...state.draft } as SettingsUpdate;
}

export function isDirty( state: State ): boolean {
	return Object.keys( state.draft ).length > 0;
}

export function isLoading( state: State ): boolean {
	return state.isLoading;
}

export function isSaving( state: State ): boolean {
	return state.isSaving;
}

export function getLoadError( state: State ): ApiErrorShape | null {
	return state.loadError;
}

/**
 * GET /status answer (null until loaded or on failure). Resolved by `resolvers.getSidecarStatus`.
 * @param state
 */
export function getSidecarStatus( state: State ): SidecarStatus | null {
	return state.sidecarStatus.data;
}

export function getSidecarStatusError( state: State ): ApiErrorShape | null {
	return state.sidecarStatus.error;
}

export function isSidecarStatusLoading( state: State ): boolean {
	return state.sidecarStatus.isLoading;
}
