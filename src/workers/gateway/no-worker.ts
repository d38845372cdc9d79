/**
 * Why `pick` found no worker for a caller: none serves the model to it; each that does is
 * draining; or one that is not draining is full. A worker out of rotation is no reason: it is
 * picked while no worker in rotation serves the model, so one passed over is full, or a worker in
 * rotation is.
 */
export type NoWorker = "not_served" | "draining" | "full";
