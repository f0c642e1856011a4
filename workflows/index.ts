/** Workflow bundle entry point for the worker (`workflowsPath`). */
export { preRegistration } from './preRegistration';
export { anonymizeExpired } from './retention';
export { parentNotice } from './notice';
export { helpAnswer } from './help';
export { campaignMessage } from './campaignMessage';
