export const STORE_NAME = 'bookingx-video/admin';

/** core/notices context of this screen's notices. */
export const NOTICE_CONTEXT = 'bookingx-video/admin';

/** One id so a new save notice replaces the previous one. */
export const SAVE_NOTICE_ID = 'bkx-video-settings-save';
