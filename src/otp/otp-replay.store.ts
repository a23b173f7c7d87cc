// The replay store moved to src/replay (issue 21): the second factor (src/two-factor, below auth)
// claims TOTP codes in it too, and src/otp sits above auth.
export { OtpReplayStore } from '../replay/otp-replay.store.js';
