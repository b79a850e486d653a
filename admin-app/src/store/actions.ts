import { __ } from '@wordpress/i18n';
import {
	isSecretSettingKey,
	type SettingKey,
	type SettingsUpdate,
	type SettingsView,
	type SidecarStatus,
} from '@bkx-video/contracts';

import { api, toErrorShape, type ApiErrorShape } from '../api';
import { getErrorFix, getErrorMessage } from '../errors';
import { validatePatch, validateSetting } from '../validation';
import { NOTICE_CONTEXT, SAVE_NOTICE_ID } from './constants';
import type { Action, Draft, DraftValue, FieldErrors } from './types';
import { detailsToFieldErrors } from './utils';

/** What a thunk receives from @wordpress/data (only the parts used here). */
export interface ThunkArgs {
	dispatch: ( action: Action ) => unknown;
	select: {
		isSaving: () => boolean;
		getChangedSettings: () => SettingsUpdate;
	};
	registry: {
		dispatch: ( store: string ) => {
			createErrorNotice: ( message: string, options?: object ) => unknown;
			createSuccessNotice: (
				message: string,
				options?: object
			) => unknown;
			removeNotice?: ( id: string, context?: string ) => unknown;
		};
	};
}

export function startLoadingSettings(): Action {
	return { type: 'SETTINGS_LOAD_START' };
}

export function receiveSettings( view: SettingsView ): Action {
	return { type: 'RECEIVE_SETTINGS', view };
}

export function receiveSettingsError( error: ApiErrorShape ): Action {
	return { type: 'RECEIVE_SETTINGS_ERROR', error };
}

/**
 * Edits one setting. The value is checked against the contracts' schema at once, so the
 * field shows its problem while the user types. For a secret, `''` means "keep" and `null` "clear".
 * @param key
 * @param value
 */
export function editSetting( key: SettingKey, value: DraftValue ): Action {
	const error =
		value === '' && isSecretSettingKey( key )
			? null
			: validateSetting( key, value );
	return { type: 'EDIT_SETTING', key, value, error };
}

export function discardChanges(): Action {
	return { type: 'DISCARD_DRAFT' };
}

export function setFieldErrors( fieldErrors: FieldErrors ): Action {
	return { type: 'SET_FIELD_ERRORS', fieldErrors };
}

export function receiveSidecarStatus( status: SidecarStatus ): Action {
	return { type: 'RECEIVE_SIDECAR_STATUS', status };
}

export function receiveSidecarStatusError( error: ApiErrorShape ): Action {
	return { type: 'RECEIVE_SIDECAR_STATUS_ERROR', error };
}

/** (Re)loads the settings; used by the resolver and the "Try again" button. */
export const loadSettings =
	() =>
	async ( { dispatch }: Pick< ThunkArgs, 'dispatch' > ): Promise< void > => {
		dispatch( startLoadingSettings() );
		try {
			dispatch( receiveSettings( await api.settings.get() ) );
		} catch ( error ) {
			dispatch( receiveSettingsError( toErrorShape( error ) ) );
		}
	};

/** (Re)loads GET /status; used by the resolver and the "Check again" button. */
export const refreshSidecarStatus =
	() =>
	async ( { dispatch }: Pick< ThunkArgs, 'dispatch' > ): Promise< void > => {
		dispatch( { type: 'SIDECAR_STATUS_START' } );
		try {
			dispatch( receiveSidecarStatus( await api.status.get() ) );
		} catch ( error ) {
			dispatch( receiveSidecarStatusError( toErrorShape( error ) ) );
		}
	};

/**
 * Saves the changed keys only. Resolves to true when saved.
 *
 * On failure the draft is kept (nothing typed is lost) and a 400's `data.details` become field
 * errors. On success the answer is merged and the saved keys leave the draft.
 */
export const saveSettings =
	() =>
	async ( { dispatch, select, registry }: ThunkArgs ): Promise< boolean > => {
		if ( select.isSaving() ) {
			return false;
		}
		const patch = select.getChangedSettings();
		if ( Object.keys( patch ).length === 0 ) {
			return true;
		}
		const notices = registry.dispatch( 'core/notices' );
		const noticeOptions = {
			id: SAVE_NOTICE_ID,
			context: NOTICE_CONTEXT,
		};

		const invalid = validatePatch( patch );
		if ( Object.keys( invalid ).length > 0 ) {
			dispatch( setFieldErrors( invalid ) );
			notices.createErrorNotice(
				__(
					'Some settings are not valid. Fix the highlighted fields and save again.',
					'bookingx-video-consultation'
				),
				noticeOptions
			);
			return false;
		}

		dispatch( { type: 'SAVE_START' } );
		try {
			const view = await api.settings.update( patch );
			dispatch( { type: 'SAVE_SUCCESS', view, sent: patch as Draft } );
			notices.createSuccessNotice(
				__( 'Settings saved.', 'bookingx-video-consultation' ),
				noticeOptions
			);
			return true;
		} catch ( caught ) {
			const error = toErrorShape( caught );
			const fieldErrors = detailsToFieldErrors( error.details );
			dispatch( { type: 'SAVE_FAILURE', error, fieldErrors } );
			const fix = getErrorFix( error );
			notices.createErrorNotice(
				fix
					? `${ getErrorMessage( error ) } ${ fix }`
					: getErrorMessage( error ),
				noticeOptions
			);
			return false;
		}
	};
