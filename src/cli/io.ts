/** Where a command prints and what environment it reads: the process's in the bin, anything in a test. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}
