import type { SettingKey } from '@bkx-video/contracts';

import type { Action, Draft, FieldErrors, State } from './types';
import { isNoopEdit, isSameValue } from './utils';

export const initialState: State = {
	settings: null,
	secrets: {},
	draft: {},
	fieldErrors: {},
	isLoading: false,
	isSaving: false,
	loadError: null,
	sidecarStatus: { data: null, error: null, isLoading: false },
};

function without< T extends object >( obj: T, keys: Iterable< string > ): T {
	const copy = { ...obj } as Record< string, unknown >;
	for ( const key of keys ) {
		delete copy[ key ];
	}
	return copy as T;
}

export default function reducer(
	state: State = initialState,
	action: Action
): State {
	switch ( action.type ) {
		case 'SETTINGS_LOAD_START':
			return { ...state, isLoading: true, loadError: null };

		case 'RECEIVE_SETTINGS': {
			const settings = {
				...( state.settings ?? {} ),
				...action.view.settings,
			} as State[ 'settings' ];
			// Edits that now match the saved value are no longer changes.
			const draft: Draft = {};
			for ( const [ key, value ] of Object.entries( state.draft ) ) {
				if (
					! isNoopEdit( key as SettingKey, value ?? null, settings )
				) {
					draft[ key as SettingKey ] = value;
				}
			}
			return {
				...state,
				settings,
				secrets: { ...state.secrets, ...action.view.secrets },
				draft,
				isLoading: false,
				loadError: null,
			};
		}

		case 'RECEIVE_SETTINGS_ERROR':
			return { ...state, isLoading: false, loadError: action.error };

		case 'EDIT_SETTING': {
			const { key, value, error } = action;
			const draft = isNoopEdit( key, value, state.settings )
				? without( state.draft, [ key ] )
				: { ...state.draft, [ key ]: value };
			const fieldErrors: FieldErrors = error
				? { ...state.fieldErrors, [ key ]: error }
				: without( state.fieldErrors, [ key ] );
			return { ...state, draft, fieldErrors };
		}

		case 'DISCARD_DRAFT':
			return { ...state, draft: {}, fieldErrors: {} };

		case 'SET_FIELD_ERRORS':
			return {
				...state,
				fieldErrors: { ...state.fieldErrors, ...action.fieldErrors },
			};

		case 'SAVE_START':
			return { ...state, isSaving: true };

		case 'SAVE_SUCCESS': {
			const settings = {
				...( state.settings ?? {} ),
				...action.view.settings,
			} as State[ 'settings' ];
			// Drop the saved keys from the draft, unless they were edited again while saving.
			const saved = Object.keys( action.sent ).filter( ( key ) =>
				isSameValue(
					state.draft[ key as SettingKey ],
					action.sent[ key as SettingKey ]
				)
			);
			return {
				...state,
				settings,
				secrets: { ...state.secrets, ...action.view.secrets },
				draft: without( state.draft, saved ),
				fieldErrors: without( state.fieldErrors, [
					...Object.keys( action.sent ),
					'_',
				] ),
				isSaving: false,
			};
		}

		case 'SAVE_FAILURE':
			// The draft is kept as it is: nothing typed is lost.
			return {
				...state,
				isSaving: false,
				fieldErrors: { ...state.fieldErrors, ...action.fieldErrors },
			};

		case 'SIDECAR_STATUS_START':
			return {
				...state,
				sidecarStatus: { ...state.sidecarStatus, isLoading: true },
			};

		case 'RECEIVE_SIDECAR_STATUS':
			return {
				...state,
				sidecarStatus: {
					data: action.status,
					error: null,
					isLoading: false,
				},
			};

		case 'RECEIVE_SIDECAR_STATUS_ERROR':
			return {
				...state,
				sidecarStatus: {
					data: null,
					error: action.error,
					isLoading: false,
				},
			};

		default:
			return state;
	}
}
