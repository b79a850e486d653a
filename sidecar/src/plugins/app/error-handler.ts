/**
 * Every error leaves as WordPress's `WP_Error` JSON: `{code, message, data:{status, …}}`. Messages
 * of 5xx errors are generic; the details go to the log with the request id.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

import { ERROR_MESSAGES, ERROR_STATUS } from '@bkx-video/contracts';

import { AppError } from '../../errors';

export default fp(
	async ( app: FastifyInstance ) => {
		app.setErrorHandler( ( error: FastifyError | AppError | Error, request, reply ) => {
			let appError: AppError;
			if ( error instanceof AppError ) {
				appError = error;
			} else if ( ( error as FastifyError ).code === 'FST_ERR_CTP_BODY_TOO_LARGE' ) {
				appError = new AppError( 'payload_too_large' );
			} else if ( ( error as FastifyError ).statusCode && ( error as FastifyError ).statusCode! < 500 ) {
				appError = new AppError( 'invalid_request', { message: error.message } );
			} else {
				appError = new AppError( 'internal_error', { cause: error } );
			}
			if ( appError.status >= 500 ) {
				request.log.error( { err: error }, 'request failed' );
			}
			if ( appError.retryAfter ) {
				reply.header( 'retry-after', String( appError.retryAfter ) );
			}
			const data: Record< string, unknown > = { ...appError.data, status: appError.status, request_id: request.id };
			if ( appError.details ) {
				data.details = appError.details;
			}
			if ( appError.retryAfter ) {
				data.retry_after = appError.retryAfter;
			}
			return reply.status( appError.status ).send( {
				code: appError.code,
				message: appError.status >= 500 && appError.code === 'internal_error' ? ERROR_MESSAGES.internal_error : appError.message,
				data,
			} );
		} );

		app.setNotFoundHandler( ( request, reply ) => {
			reply.status( ERROR_STATUS.not_found ).send( {
				code: 'not_found',
				message: ERROR_MESSAGES.not_found,
				data: { status: 404, request_id: request.id },
			} );
		} );
	},
	{ name: 'error-handler' }
);
