/**
 * The web's one door to Temporal: start a pre-registration workflow, send a decision (Update),
 * query its status, fetch its history. Created once at start-up.
 */
import { Client, Connection, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { workflowIdFor } from '../domain/reference';
import type { Decision } from '../domain/types';
import type { Config } from '../config';
import {
  correctionSubmittedUpdate, decideUpdate, openUpdate, parentEditUpdate, preRegistration, requestCorrectionUpdate, retryExportUpdate, statusQuery, withdrawUpdate,
  type DecisionResult, type PreRegistrationInput, type PreRegistrationState,
} from '../workflows/preRegistration';
import { codecFromConfig, decodeHistoryPayloads } from './codec';
import { requestIdClientInterceptor } from './interceptors';
import { ACADEMY_CODE, DIRECTORATE_CODE, LEVEL, SCHOOL_CODE, SCHOOL_YEAR, STATUS } from './searchAttributes';

export interface TasjilTemporal {
  client: Client;
  /** Starts the workflow of a stored request; a second call for the same reference is a no-op. */
  start(input: PreRegistrationInput): Promise<{ workflowId: string; started: boolean }>;
  /** Sends the director's decision; resolves when recorded, rejects with WorkflowUpdateFailedError when refused. */
  decide(reference: string, decision: Decision): Promise<DecisionResult>;
  retryExport(reference: string, requestedBy: string): Promise<DecisionResult>;
  /** Director asks the parent for a correction (the message is stored in PostgreSQL first). */
  requestCorrection(reference: string, requestedBy: string): Promise<DecisionResult>;
  /** The parent's corrected data is stored: the workflow re-runs the checks. */
  correctionSubmitted(reference: string): Promise<DecisionResult>;
  /** The parent withdraws the request (before any decision). */
  withdraw(reference: string): Promise<DecisionResult>;
  /**
   * Staff opened the request (Update `open`, idempotent): recorded once; resolves when any parent
   * edit in flight has been applied. Rejects like any Update (WorkflowNotFoundError once ended).
   */
  open(reference: string, openedBy: string): Promise<DecisionResult>;
  /** The parent's edit, stored as revision `revisionId`: applied and checked; refused (`AlreadyOpened`) once opened. */
  parentEdit(reference: string, revisionId: string): Promise<DecisionResult>;
  status(reference: string): Promise<PreRegistrationState>;
  /** The history with payloads decrypted (for supervisors). */
  history(reference: string): Promise<History>;
  /** The history as stored by Temporal (payloads encrypted). */
  rawHistory(reference: string): Promise<History>;
  handle(reference: string): WorkflowHandle<typeof preRegistration>;
  close(): Promise<void>;
}

/** Connects to `config.TEMPORAL_ADDRESS` / namespace and returns the Tasjil facade. */
export async function connectTemporal(config: Config): Promise<TasjilTemporal> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const codec = codecFromConfig(config);
  const client = new Client({
    connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: { payloadCodecs: [codec] },
    // The HTTP request id into the workflow's headers; decisions and parent edits counted.
    interceptors: { workflow: [requestIdClientInterceptor] },
  });
  const handle = (reference: string) => client.workflow.getHandle<typeof preRegistration>(workflowIdFor(reference));
  return {
    client,
    handle,
    async start(input) {
      const workflowId = workflowIdFor(input.reference);
      try {
        await client.workflow.start(preRegistration, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: SCHOOL_CODE, value: input.schoolCode },
            { key: DIRECTORATE_CODE, value: input.directorateCode },
            { key: ACADEMY_CODE, value: input.academyCode },
            { key: SCHOOL_YEAR, value: input.schoolYear },
            { key: LEVEL, value: input.level },
            { key: STATUS, value: 'submitted' },
          ],
        });
        return { workflowId, started: true };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
        throw err;
      }
    },
    decide: (reference, decision) => handle(reference).executeUpdate(decideUpdate, { args: [decision] }),
    retryExport: (reference, requestedBy) => handle(reference).executeUpdate(retryExportUpdate, { args: [{ requestedBy }] }),
    requestCorrection: (reference, requestedBy) => handle(reference).executeUpdate(requestCorrectionUpdate, { args: [{ requestedBy }] }),
    correctionSubmitted: (reference) => handle(reference).executeUpdate(correctionSubmittedUpdate),
    withdraw: (reference) => handle(reference).executeUpdate(withdrawUpdate),
    open: (reference, openedBy) => handle(reference).executeUpdate(openUpdate, { args: [{ openedBy }] }),
    parentEdit: (reference, revisionId) => handle(reference).executeUpdate(parentEditUpdate, { args: [{ revisionId }] }),
    status: (reference) => handle(reference).query(statusQuery),
    history: async (reference) => decodeHistoryPayloads(await handle(reference).fetchHistory(), codec),
    rawHistory: (reference) => handle(reference).fetchHistory(),
    close: () => connection.close(),
  };
}
