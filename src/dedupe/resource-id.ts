/**
 * `batches/123` → `123`, `interactions/abc` → `abc`; a bare id stays as it is. The API names a job with its
 * collection and a delivery may carry either form, so completion and tracking keys take the bare id.
 */
export function resourceIdOf(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}
