export { startSite, PACKAGE_DIR, REPO_ROOT, FIXTURES_DIR, PLUGIN_SLUG } from './site.js';
export type {
  Site,
  SiteOptions,
  SmtpTarget,
  SiteUser,
  Session,
  Role,
  As,
  BookingStatus,
  RestOptions,
  RestResponse,
  Customer,
  CreateBookingInput,
  BookingSnapshot,
  CapturedMail,
  ActivationResult,
  Bookings,
} from './site.js';
export type { Cookie } from './http.js';
