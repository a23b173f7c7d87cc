// Moved to src/replay with the replay store (see otp-replay.store.ts).
export { OtpUsed } from '../replay/otp-used.entity.js';
