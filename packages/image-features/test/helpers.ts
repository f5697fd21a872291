/** Typed-error assertions shared by every package's tests. */
export { expectError, expectRejection } from '@resprune/test-backends';
