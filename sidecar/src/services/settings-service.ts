/**
 * Settings with a short in-process cache (spec §12: platform configuration is cached), dropped on
 * every write through this instance.
 */
import {
	SECRET_SETTING_KEYS,
	SettingsSchema,
	SettingsUpdateSchema,
	fieldErrorsFromIssues,
	type SecretState,
	type Settings,
	type SettingsView,
} from '@bkx-video/contracts';

import { AppError } from '../errors';
import type { SettingsRepository } from '../repositories/settings-repository';

export function createSettingsService( repo: SettingsRepository, ttlSeconds: number, clock: () => Date ) {
	let cached: { value: Settings; until: number } | null = null;
	/** The load in flight: callers that miss together (a burst of syncs) share it. */
	let loading: Promise< Settings > | null = null;

	async function get(): Promise< Settings > {
		const now = clock().getTime();
		if ( cached && cached.until > now ) {
			return cached.value;
		}
		if ( ! loading ) {
			const load = repo.load().then(
				( value ) => {
					if ( loading === load ) {
						cached = { value, until: now + ttlSeconds * 1000 };
						loading = null;
					}
					return value;
				},
				( error: unknown ) => {
					if ( loading === load ) {
						loading = null;
					}
					throw error;
				}
			);
			loading = load;
		}
		return loading;
	}

	function toView( settings: Settings ): SettingsView {
		const publicValues: Record< string, unknown > = { ...settings };
		const secrets = {} as Record< ( typeof SECRET_SETTING_KEYS )[ number ], SecretState >;
		for ( const key of SECRET_SETTING_KEYS ) {
			const value = settings[ key ];
			delete publicValues[ key ];
			secrets[ key ] = { is_set: value.length > 0, tail: value.length >= 12 ? value.slice( -4 ) : '' };
		}
		return { settings: publicValues as SettingsView[ 'settings' ], secrets };
	}

	return {
		get,
		invalidate() {
			cached = null;
			loading = null;
		},
		async view(): Promise< SettingsView > {
			return toView( await get() );
		},

		/**
		 * Validates and saves a partial update. Nothing is written unless the whole result is valid.
		 *
		 * @throws AppError invalid_request with per-field details.
		 */
		async update( body: unknown, actorId: number ): Promise< SettingsView > {
			const parsed = SettingsUpdateSchema.safeParse( body ?? {} );
			if ( ! parsed.success ) {
				throw new AppError( 'invalid_request', { details: fieldErrorsFromIssues( parsed.error.issues ) } );
			}
			const current = await repo.load();
			const patch: Record< string, unknown > = {};
			for ( const [ key, value ] of Object.entries( parsed.data ) ) {
				if ( value === undefined ) {
					continue;
				}
				// A secret set to null is cleared; other keys cannot be null (the schema says so).
				patch[ key ] = value === null ? '' : value;
			}
			const next = SettingsSchema.safeParse( { ...current, ...patch } );
			if ( ! next.success ) {
				throw new AppError( 'invalid_request', { details: fieldErrorsFromIssues( next.error.issues ) } );
			}
			await repo.save( patch, actorId, clock() );
			cached = null;
			loading = null;
			return toView( next.data );
		},
	};
}

export type SettingsService = ReturnType< typeof createSettingsService >;
