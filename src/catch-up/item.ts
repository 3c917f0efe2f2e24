/** How one completion fared. */
export interface CatchUpItem {
  /** `batches/123`, `interactions/abc`. */
  resource: string;
  /** The event delivered (or that would have been). */
  type?: string;
  outcome:
    | "delivered" // the receiver handled (or queued) it now
    | "already-handled" // the receiver answered duplicate: a delivery or an earlier catch-up handled it
    | "failed" // the receiver refused it or was unreachable: a rerun delivers it
    | "ended-without-event" // a tracked job ended in a state Gemini sends no webhook for
    | "pending" // a tracked job has not ended yet, or is not due yet (its expectBy)
    | "lookup-failed"; // the API could not tell what became of a tracked job
  detail?: string;
}
