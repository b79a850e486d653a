import { loadSettings, refreshSidecarStatus } from './actions';

/** Loads the settings the first time `getSettings` is selected. */
export const getSettings = () => loadSettings();

/** Loads GET /status the first time `getSidecarStatus` is selected. */
export const getSidecarStatus = () => refreshSidecarStatus();
