// A pipeline's operator state, one document per pipeline in `sluice_pipelines/<name>`: whether it is
// paused (and by whom), and the schedule fire times already judged by the missed-schedule alert.
// The only code that reads or writes that collection.
import type { Actor } from './run-record';

export const PIPELINES_COLLECTION = 'sluice_pipelines';

export interface PipelineState {
  pipeline: string;
  paused: boolean;
  pausedBy?: Actor;
  pausedAt?: string;
  resumedBy?: Actor;
  resumedAt?: string;
  updatedAt?: string;
}

export interface PipelineStateStore {
  get(pipeline: string): Promise<PipelineState>;
  // Returns the state as it now is; pausing a paused pipeline changes nothing (and is not an error).
  setPaused(pipeline: string, paused: boolean, actor: Actor): Promise<PipelineState>;
  // The missed-schedule alert: true for the first caller to claim this fire time of the pipeline.
  claimScheduleCheck(pipeline: string, fireTime: string): Promise<boolean>;
  // Gives a claim back when the alert it was taken for could not be sent, so the next sweep judges
  // the fire time again instead of the alert being lost. Optional until every store has it.
  releaseScheduleCheck?(pipeline: string, fireTime: string): Promise<void>;
}
