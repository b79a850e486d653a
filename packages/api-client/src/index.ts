export { createClient } from './create-client';
export type { Client, ClientOptions } from './create-client';
export { ApiError, isApiError, toApiError } from './api-error';
export type { ApiErrorCode, ApiErrorInit } from './api-error';
export { createFetchFetcher } from './fetcher';
export type { Fetcher, FetcherOptions, FetchFetcherOptions } from './fetcher';
export { paths } from './paths';
export type { AccessOptions } from './paths';
