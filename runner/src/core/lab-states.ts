/**
 * Lab states (checks/context.ts LabState) that write themselves to the store: the lab
 * service keeps calling `session.labStates.set(lab, engine.createLabState())` and
 * `state.set(k, v)`; the engine made by `persistentEngine` (engine-hooks.ts) creates these, and
 * the session's map binds each one to its session and lab when it is stored.
 */
import type { LabState } from '../../../checks/context.ts';
import type { Store } from '../store/types.ts';

export class PersistentLabState implements LabState {
  private readonly entries: Map<string, unknown>;
  private sink: (() => void) | null = null;

  constructor(entries: [string, unknown][] = []) {
    this.entries = new Map(entries);
  }

  get<T = unknown>(key: string): T | undefined {
    return this.entries.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.entries.set(key, value);
    this.sink?.();
  }

  clear(): void {
    this.entries.clear();
    this.sink?.();
  }

  toEntries(): [string, unknown][] {
    return [...this.entries];
  }

  bind(sink: () => void): void {
    this.sink = sink;
    sink();
  }
}

/** A session's lab states; storing a PersistentLabState binds it to the store. */
export class LabStateMap extends Map<string, LabState> {
  private readonly save: ((lab: string, state: PersistentLabState) => void) | null;

  constructor(store: Store | null, sessionId: string, saved?: Map<string, [string, unknown][]>) {
    super();
    this.save = store
      ? (lab, state) => {
          try {
            store.saveLabState(sessionId, lab, state.toEntries());
          } catch {
            /* the state stays in memory; the store logs nothing here (it is closed at shutdown) */
          }
        }
      : null;
    for (const [lab, entries] of saved ?? []) this.set(lab, new PersistentLabState(entries));
  }

  override set(lab: string, state: LabState): this {
    super.set(lab, state);
    const save = this.save;
    if (save && state instanceof PersistentLabState) state.bind(() => save(lab, state));
    return this;
  }
}
