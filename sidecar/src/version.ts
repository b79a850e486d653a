/** The sidecar's version (replaced at bundle time; the package version in development). */
export const VERSION: string = process.env.BKX_VIDEO_BUILD_VERSION ?? '0.1.0-dev';
