/** GET /api/health (extension): capacity and state of this runner. */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { SessionService } from '../core/sessions.ts';

export function healthRoutes(deps: { config: Config; sessions: SessionService }) {
  const { config, sessions } = deps;
  return async (app: FastifyInstance) => {
    app.get('/api/health', async () => {
      const st = sessions.stats();
      return {
        ok: !sessions.isShuttingDown,
        sessions: st.sessions,
        starting: st.starting,
        ready: st.ready,
        terminals: st.terminals,
        pool: st.pool,
        maxSessions: config.maxSessions,
        runnerId: config.runnerId,
      };
    });
  };
}
