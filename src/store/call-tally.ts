/**
 * The scheduler's daily call counts in the history store (the `CallTally` of
 * scheduler/credit-budget.ts), table `sync_call_counts` (migration 3): one row per vendor account
 * (its `rateLimitGroup`) and UTC day. A take is one `insert … on conflict do update … where`, so
 * instances sharing a PostgreSQL server never pass the limit together, and the count survives a
 * restart (the embedded store too). Rows older than a week are removed once a day. The store down:
 * every operation answers "unreachable" (undefined / false).
 */
import type { Sql } from './sql';

/** Days of counts kept (only today's is read; the rest is for an operator's look). */
const KEEP_DAYS = 7;

const TAKE = `insert into sync_call_counts as c (account, day, used)
select $1, $2::date, $4::integer + 1 where $4::integer < $3::integer
on conflict (account, day) do update set used = greatest(c.used, $4::integer) + 1, updated_at = now()
  where greatest(c.used, $4::integer) < $3::integer
returning used`;
const READ = 'select used from sync_call_counts where account = $1 and day = $2::date';
const REFUND = 'update sync_call_counts set used = used - 1, updated_at = now() where account = $1 and day = $2::date and used > 0';
const RAISE = `insert into sync_call_counts as c (account, day, used) values ($1, $2::date, $3::integer)
on conflict (account, day) do update set used = greatest(c.used, excluded.used), updated_at = now()`;
const PRUNE = "delete from sync_call_counts where day < $1::date - $2::integer";

export class StoreCallTally {
  private prunedDay = '';

  /**
   * @param database the store's database (throws while it is unavailable: `HistoryStore.database`)
   * @param scope `shared` on a PostgreSQL server every instance uses, `local` on the embedded store
   */
  constructor(
    private readonly database: () => Sql,
    readonly scope: 'shared' | 'local',
  ) {}

  private async run<T>(work: (sql: Sql) => Promise<T>): Promise<T | undefined> {
    try {
      return await work(this.database());
    } catch {
      return undefined;
    }
  }

  take(account: string, day: string, limit: number, floor: number): Promise<{ taken: boolean; used: number } | undefined> {
    return this.run(async (sql) => {
      if (this.prunedDay !== day) {
        await sql.query(PRUNE, [day, KEEP_DAYS]);
        this.prunedDay = day;
      }
      const start = Math.max(0, Math.floor(floor));
      const counted = await sql.query<{ used: number }>(TAKE, [account, day, limit, start]);
      if (counted[0] !== undefined) return { taken: true, used: Number(counted[0].used) };
      const current = await sql.query<{ used: number }>(READ, [account, day]);
      return { taken: false, used: Math.max(start, Number(current[0]?.used ?? 0)) };
    });
  }

  async refund(account: string, day: string): Promise<boolean> {
    return (await this.run((sql) => sql.query(REFUND, [account, day]))) !== undefined;
  }

  async raise(account: string, day: string, used: number): Promise<boolean> {
    return (await this.run((sql) => sql.query(RAISE, [account, day, Math.max(0, Math.floor(used))]))) !== undefined;
  }

  read(account: string, day: string): Promise<number | undefined> {
    return this.run(async (sql) => Number((await sql.query<{ used: number }>(READ, [account, day]))[0]?.used ?? 0));
  }
}
