// Public surface of @bkx-video/platform-fakes.

export type { FailWith, RecordedRequest } from './http-fake';
export {
  jitsiDefaultKnobs,
  normaliseJitsiRoom,
  startJitsiFake,
  verifyJitsiToken,
  type JitsiAffiliationFallback,
  type JitsiClaims,
  type JitsiFake,
  type JitsiFakeKnobs,
  type JitsiFakeOptions,
  type JitsiRecordedRequest,
  type JitsiRole,
  type JitsiUserContext,
  type JitsiVerificationRecord,
  type JitsiVerifyError,
  type JitsiVerifyKnobs,
  type JitsiVerifyResult,
} from './jitsi';
export { jitsiExternalApiScript } from './jitsi-external-api';
export {
  startZoomFake,
  zoomDailyCapMessage,
  zoomTime,
  zoomXmlError,
  ZOOM_QPS_MESSAGE,
  type ZoomDialInNumber,
  type ZoomFailWith,
  type ZoomFake,
  type ZoomFakeKnobs,
  type ZoomFakeMeeting,
  type ZoomFakeOptions,
  type ZoomFakeUser,
  type ZoomFakeUserSpec,
  type ZoomIssuedToken,
  type ZoomKnobsPatch,
  type ZoomOccurrence,
  type ZoomRateLimitKnob,
  type ZoomRecordedRequest,
  type ZoomUserDefaults,
} from './zoom';
