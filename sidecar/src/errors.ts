/**
 * The one error type routes and services throw. Its HTTP status comes from the contracts table.
 */
import { ERROR_MESSAGES, ERROR_STATUS, type ErrorCode, type FieldErrors } from '@bkx-video/contracts';

export interface AppErrorOptions {
	/** Per-field problems for `invalid_request`. */
	details?: FieldErrors;
	/** Extra data merged into `data` of the WP_Error body (e.g. `opens_at`). */
	data?: Record< string, unknown >;
	/** Overrides the default user-facing message. */
	message?: string;
	/** Seconds for `Retry-After`. */
	retryAfter?: number;
	cause?: unknown;
}

export class AppError extends Error {
	override name = 'AppError';
	readonly code: ErrorCode;
	readonly status: number;
	readonly details: FieldErrors | undefined;
	readonly data: Record< string, unknown >;
	readonly retryAfter: number | undefined;

	constructor( code: ErrorCode, options: AppErrorOptions = {} ) {
		super( options.message ?? ERROR_MESSAGES[ code ], { cause: options.cause } );
		this.code = code;
		this.status = ERROR_STATUS[ code ] || 500;
		this.details = options.details;
		this.data = options.data ?? {};
		this.retryAfter = options.retryAfter;
	}
}
