/**
 * Tasjil's pure domain rules (no I/O). Workflows should import the module they need
 * (`domain/age`, `domain/zone`…) rather than this index, to keep zod and libphonenumber-js out of
 * the workflow bundle when they are not used.
 */
export * from './types';
export * from './dates';
export * from './age';
export * from './hijri';
export * from './names';
export * from './contact';
export * from './reference';
export * from './zone';
export * from './duplicates';
export * from './rejectionReasons';
export * from './submission';
