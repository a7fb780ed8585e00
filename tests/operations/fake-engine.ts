/** A one-lab engine without Docker for the operations tests (its check passes once started). */
import type { LabEngine } from '../../runner/src/labs/service.ts';

export const demoEngine: LabEngine = {
  async loadLabs() {
    return [
      {
        definition: {
          id: 'demo',
          title: 'Demo lab',
          order: 1,
          section: 'private-registry',
          summary: 'A demo',
          criteria: [{ id: 'pushed', title: 'Image pushed', required: true }],
          hints: [],
          checkTimeoutMs: 1000,
        },
      },
    ];
  },
  async startLab(_lab, ctx) {
    ctx.state.set('started', true);
  },
  async checkLab(_lab, ctx) {
    const started = ctx.state.get('started') === true;
    await new Promise((r) => setTimeout(r, 20));
    return {
      passed: started,
      criteria: [{ id: 'pushed', title: 'Image pushed', passed: started, message: started ? 'ok' : 'start first', required: true }],
      durationMs: 20,
    } as Awaited<ReturnType<LabEngine['checkLab']>>;
  },
  createLabState() {
    const m = new Map<string, unknown>();
    return { get: <T>(k: string) => m.get(k) as T | undefined, set: (k, v) => void m.set(k, v), clear: () => m.clear() };
  },
};
