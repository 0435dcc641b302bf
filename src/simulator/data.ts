/**
 * Seeded campaign data shared by the four simulators.
 *
 * Every campaign has a lifetime of counts drawn from its own PRNG stream (account seed, vendor,
 * index), so one account's data never depends on another's, and the same seed always gives the
 * same campaigns. The counts are consistent the way real funnels are: contacted ≤ leads,
 * opened ≤ contacted, clicked ≤ opened, replied ≤ contacted, interested ≤ replied, won ≤ meetings
 * ≤ interested, invites accepted ≤ invites sent.
 *
 * Activity is spread over the campaign's active days with a smooth cumulative curve
 * `F(k) = (k / N) ^ curve`, and a count over a date range is `floor(T·F(end)) − floor(T·F(start − 1))`.
 * That makes ranges cheap (no per-day arrays), deterministic, smaller than lifetime, and consistent:
 * a range's total is exactly the sum of its daily rows, and `floor` being monotonic keeps every
 * "x ≤ y" above true inside any range too.
 *
 * "As of day D" (`coreAsOf`, `AsOfMemo`): the same generated history seen at the end of an earlier
 * day. Campaigns created after D do not exist yet, every count is its range up to D (so it never
 * goes down as D advances), a campaign that had not sent yet has no activity, and one that ended
 * after D still shows the vendor's running status. On the reference day itself the view is the
 * generated data unchanged, byte for byte.
 */
import type { ProviderId } from '../schema/campaign';
import { between, hashSeed, intBetween, mulberry32, pick, pickWeighted } from './random';
import type { AccountSpec, SimulatorAccount } from './types';

export const DAY_MS = 86_400_000;
/** Campaigns are created over this many days before the reference date. */
const HISTORY_DAYS = 540;

export function epochDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** `YYYY-MM-DD` of each epoch day asked for so far: daily rows name the same few hundred days over and over. */
const isoDays = new Map<number, string>();
const MAX_ISO_DAYS = 100_000;

/** `YYYY-MM-DD` of an epoch day (UTC). */
export function isoDay(day: number): string {
  let text = isoDays.get(day);
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (isoDays.size < MAX_ISO_DAYS) isoDays.set(day, text);
  }
  return text;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * A date parameter as an epoch day: `YYYY-MM-DD` (UTC midnight, as Instantly's spec says) or a full
 * ISO 8601 timestamp (its UTC day). Undefined for anything else, including impossible dates.
 */
export function parseDay(text: string): number | undefined {
  const dateOnly = DATE_ONLY.exec(text);
  if (dateOnly) {
    const ms = Date.UTC(Number(dateOnly[1]), Number(dateOnly[2]) - 1, Number(dateOnly[3]));
    return isoDay(epochDay(ms)) === text ? epochDay(ms) : undefined;
  }
  if (!TIMESTAMP.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : epochDay(ms);
}

/** What kind of life a vendor status implies for the generated numbers. */
export type ActivityKind = 'draft' | 'running' | 'ended';

export interface StatusOption<S> {
  readonly value: S;
  readonly weight: number;
  readonly kind: ActivityKind;
}

/** The days a campaign sent on, inclusive, and the shape of its cumulative curve. */
export interface Activity {
  readonly firstDay: number;
  readonly lastDay: number;
  readonly curve: number;
}

/** Lifetime counts. Each vendor reads the ones it reports. */
export interface Totals {
  readonly contacted: number;
  readonly newLeadsContacted: number;
  readonly emailsSent: number;
  /** Total opens, duplicates included. */
  readonly opens: number;
  /** Unique leads that opened. */
  readonly opened: number;
  /** Sum over steps of the leads that opened that step (≥ opened). */
  readonly openedByStep: number;
  readonly clicks: number;
  readonly clicked: number;
  readonly clickedByStep: number;
  /** Every reply, automatic ones and repeats included. */
  readonly replies: number;
  /** Unique leads that replied, automatic replies excluded. */
  readonly replied: number;
  readonly repliedByStep: number;
  readonly autoReplies: number;
  readonly autoReplied: number;
  readonly autoRepliedByStep: number;
  readonly bounced: number;
  readonly unsubscribed: number;
  /** Leads that finished the sequence. */
  readonly completed: number;
  readonly interested: number;
  readonly meetings: number;
  readonly won: number;
  readonly invitesSent: number;
  readonly invitesAccepted: number;
  readonly linkedinMessages: number;
}

export type TotalName = keyof Totals;

export interface CampaignCore<S> {
  readonly index: number;
  /** Seeds any further per-campaign draws a vendor needs (ids, steps, settings). */
  readonly seed: number;
  readonly name: string;
  readonly status: S;
  readonly kind: ActivityKind;
  readonly createdMs: number;
  readonly updatedMs: number;
  /** Null when the campaign never sent (drafts). */
  readonly activity: Activity | null;
  readonly leads: number;
  readonly totals: Totals;
  /** Value of one opportunity, in whole currency units. */
  readonly dealValue: number;
  /**
   * Set on a view as of an earlier day (`coreAsOf`): that day, and the lifetime totals that ranges
   * are computed from (`totals` then holds the counts through that day).
   */
  readonly asOf?: { readonly day: number; readonly lifetime: Totals } | undefined;
}

export interface DataEnv {
  readonly provider: ProviderId;
  /** The last day of the generated history, as an epoch day: no activity after it. */
  readonly referenceDay: number;
  /**
   * The day the simulator answers as of (≤ `referenceDay`); moved by `setReferenceDate`.
   * @default referenceDay
   */
  asOfDay?: number | undefined;
}

/** The day `env` answers as of. */
export function asOfDay(env: DataEnv): number {
  return env.asOfDay ?? env.referenceDay;
}

/** A date range in epoch days, both ends inclusive; an open end means "no bound". */
export interface DayRange {
  readonly fromDay?: number | undefined;
  readonly toDay?: number | undefined;
}

const THEMES = [
  'Q1 Outbound',
  'Q2 Outbound',
  'Q3 Outbound',
  'Q4 Outbound',
  'Webinar Follow-up',
  'Product Launch',
  'Reactivation',
  'Event Invite',
  'Case Study Push',
  'Partner Intro',
  'Free Trial Nudge',
  'Renewal Check-in',
] as const;

const AUDIENCES = [
  'SaaS CFOs',
  'Heads of Growth',
  'Agency Owners',
  'IT Directors',
  'HR Leaders',
  'Founders EU',
  'Founders US',
  'Ops Managers',
  'Sales VPs',
  'Procurement',
] as const;

/** Cumulative share of a campaign's activity done by the end of `day` (0..1). */
export function shareThrough(activity: Activity | null, day: number): number {
  if (activity === null) return 0;
  const done = day - activity.firstDay + 1;
  if (done <= 0) return 0;
  const length = activity.lastDay - activity.firstDay + 1;
  if (done >= length) return 1;
  return (done / length) ** activity.curve;
}

/** A lifetime count restricted to a date range (the whole count when the range is open). */
export function countInRange(activity: Activity | null, total: number, range: DayRange): number {
  if (range.fromDay === undefined && range.toDay === undefined) return total;
  const upper = range.toDay === undefined ? total : Math.floor(total * shareThrough(activity, range.toDay));
  const lower = range.fromDay === undefined ? 0 : Math.floor(total * shareThrough(activity, range.fromDay - 1));
  return Math.max(0, upper - lower);
}

/** The count on one day (a one-day range). */
export function countOnDay(activity: Activity | null, total: number, day: number): number {
  return countInRange(activity, total, { fromDay: day, toDay: day });
}

/** Every lifetime total restricted to a range (and, on an as-of view, to the days up to it). */
export function totalsInRange(core: CampaignCore<unknown>, range: DayRange): Totals {
  if (range.fromDay === undefined && range.toDay === undefined) return core.totals;
  const lifetime = core.asOf?.lifetime ?? core.totals;
  const clipped = core.asOf === undefined ? range : { fromDay: range.fromDay, toDay: Math.min(range.toDay ?? core.asOf.day, core.asOf.day) };
  const scaled: Record<TotalName, number> = { ...lifetime };
  for (const name of TOTAL_NAMES) scaled[name] = countInRange(core.activity, lifetime[name], clipped);
  return scaled;
}

/** Whether a campaign exists at the end of `day` (it was created on or before it). */
export function existsOn(core: CampaignCore<unknown>, day: number): boolean {
  return epochDay(core.createdMs) <= day;
}

/**
 * A campaign as it stood at the end of `day` (it must exist by then, see `existsOn`): its counts
 * through that day, no activity if it had not sent yet, `running` as its status if it ended
 * later, and its last update no later than that day. The same campaign on or after its reference
 * day is returned as it is.
 */
export function coreAsOf<S>(core: CampaignCore<S>, day: number, running: S): CampaignCore<S> {
  const activity = core.activity;
  if (activity === null || day >= activity.lastDay) {
    const endOfDay = (day + 1) * DAY_MS - 1;
    if (core.updatedMs <= endOfDay) return core;
    return { ...core, updatedMs: Math.max(core.createdMs, endOfDay) };
  }
  const started = day >= activity.firstDay;
  const stillRunning = core.kind === 'ended';
  return {
    ...core,
    status: stillRunning ? running : core.status,
    kind: stillRunning ? 'running' : core.kind,
    updatedMs: Math.max(core.createdMs, Math.min(core.updatedMs, (day + 1) * DAY_MS - 1)),
    activity: started ? activity : null,
    totals: totalsInRange(core, { toDay: day }),
    asOf: { day, lifetime: core.totals },
  };
}

/**
 * An account's data as of the env's day: built once for the whole history (`full`), and viewed
 * as of an earlier day by `view`, the last few views memoized (a back-fill asks day after day,
 * each day many times).
 */
export class AsOfMemo<T> {
  private readonly views = new Map<number, T>();

  constructor(
    private readonly env: DataEnv,
    private readonly full: Lazy<T>,
    private readonly view: (full: T, day: number) => T,
  ) {}

  get(): T {
    const day = asOfDay(this.env);
    if (day >= this.env.referenceDay) return this.full.get();
    const hit = this.views.get(day);
    if (hit !== undefined) return hit;
    const made = this.view(this.full.get(), day);
    this.views.set(day, made);
    for (const oldest of this.views.keys()) {
      if (this.views.size <= 4) break;
      this.views.delete(oldest);
    }
    return made;
  }
}

/** The campaigns that exist at the end of `day`, each as it stood then (see `coreAsOf`). */
export function campaignsAsOf<S, C extends { readonly core: CampaignCore<S> }>(campaigns: readonly C[], day: number, running: S): C[] {
  return campaigns.filter((c) => existsOn(c.core, day)).map((c) => ({ ...c, core: coreAsOf(c.core, day, running) }));
}

const TOTAL_NAMES: readonly TotalName[] = [
  'contacted',
  'newLeadsContacted',
  'emailsSent',
  'opens',
  'opened',
  'openedByStep',
  'clicks',
  'clicked',
  'clickedByStep',
  'replies',
  'replied',
  'repliedByStep',
  'autoReplies',
  'autoReplied',
  'autoRepliedByStep',
  'bounced',
  'unsubscribed',
  'completed',
  'interested',
  'meetings',
  'won',
  'invitesSent',
  'invitesAccepted',
  'linkedinMessages',
];

/**
 * The totals `names` per day inside `range`, summed over `cores`, ascending, days without any
 * activity (in any total, shown or not) left out: the rows of a vendor's daily endpoint. A day's
 * count is its one-day range, so the rows add up exactly to `totalsInRange`. Sums are accumulated
 * in flat arrays (one object per output day, none per campaign-day), and whether a day has any
 * activity is settled by its first non-zero total, so a whole 20,000-campaign account, or one
 * campaign's reply per call, stays fast.
 */
export function dailyCounts<N extends TotalName>(
  cores: readonly CampaignCore<unknown>[],
  range: DayRange,
  names: readonly N[],
): { day: number; totals: Record<N, number> }[] {
  const width = names.length;
  const all = TOTAL_NAMES.length;
  const shown = names.map((name) => TOTAL_NAMES.indexOf(name));
  let firstDay = Infinity;
  let lastDay = -Infinity;
  for (const core of cores) {
    if (core.activity === null) continue;
    firstDay = Math.min(firstDay, Math.max(core.activity.firstDay, range.fromDay ?? -Infinity));
    lastDay = Math.max(lastDay, Math.min(core.activity.lastDay, range.toDay ?? Infinity, core.asOf?.day ?? Infinity));
  }
  if (!(firstDay <= lastDay)) return [];
  const sums = new Float64Array((lastDay - firstDay + 1) * width);
  // A day's count of a total is never negative (the curve only grows), so a day has activity
  // exactly when some total of some campaign counts one there.
  const active = new Uint8Array(lastDay - firstDay + 1);
  const lifetime = new Float64Array(all);
  for (const core of cores) {
    const activity = core.activity;
    if (activity === null) continue;
    const from = Math.max(activity.firstDay, range.fromDay ?? activity.firstDay);
    const to = Math.min(activity.lastDay, range.toDay ?? activity.lastDay, core.asOf?.day ?? Infinity);
    if (from > to) continue;
    const totals = core.asOf?.lifetime ?? core.totals;
    TOTAL_NAMES.forEach((name, i) => {
      lifetime[i] = totals[name];
    });
    let before = shareThrough(activity, from - 1);
    for (let day = from; day <= to; day += 1) {
      const through = shareThrough(activity, day);
      const d = day - firstDay;
      if (active[d] === 0) {
        for (let i = 0; i < all; i += 1) {
          const total = lifetime[i] ?? 0;
          if (Math.floor(total * through) !== Math.floor(total * before)) {
            active[d] = 1;
            break;
          }
        }
      }
      const offset = d * width;
      for (let j = 0; j < width; j += 1) {
        const total = lifetime[shown[j] ?? 0] ?? 0;
        sums[offset + j] = (sums[offset + j] ?? 0) + Math.floor(total * through) - Math.floor(total * before);
      }
      before = through;
    }
  }
  const rows: { day: number; totals: Record<N, number> }[] = [];
  for (let day = firstDay; day <= lastDay; day += 1) {
    const d = day - firstDay;
    if (active[d] === 0) continue;
    const totals = {} as Record<N, number>;
    names.forEach((name, j) => {
      totals[name] = sums[d * width + j] ?? 0;
    });
    rows.push({ day, totals });
  }
  return rows;
}

/**
 * Splits `total` into parts proportional to `weights`, summing exactly to `total` (the rounding
 * remainder goes to the first part, the biggest in a decaying sequence).
 */
export function splitCount(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const parts = weights.map((weight) => Math.floor((total * weight) / sum));
  const rest = total - parts.reduce((a, b) => a + b, 0);
  parts[0] = (parts[0] ?? 0) + rest;
  return parts;
}

/**
 * Accounts must have distinct labels and keys; labels default to `account-<n>`. `subWorkspaces`
 * (Instantly only, when `provider` is given) must each be exactly one other account's
 * `vendorWorkspaceId`; it is kept only when non-empty, so other accounts resolve as before.
 */
export function resolveAccounts(specs: readonly AccountSpec[], provider?: ProviderId): SimulatorAccount[] {
  const labels = new Set<string>();
  const keys = new Set<string>();
  const accounts = specs.map((spec, i): SimulatorAccount => {
    const label = spec.label ?? `account-${i + 1}`;
    if (spec.apiKey === '') throw new Error(`simulator account ${label}: apiKey is empty`);
    if (!Number.isInteger(spec.campaigns) || spec.campaigns < 0 || spec.campaigns > 1_000_000) {
      throw new Error(`simulator account ${label}: campaigns must be an integer 0..1000000`);
    }
    if (!Number.isFinite(spec.seed)) throw new Error(`simulator account ${label}: seed must be a number`);
    if (labels.has(label)) throw new Error(`simulator account label ${label} is used twice`);
    if (keys.has(spec.apiKey)) throw new Error(`simulator account ${label}: its apiKey is used by another account`);
    labels.add(label);
    keys.add(spec.apiKey);
    const account = { label, apiKey: spec.apiKey, seed: spec.seed, campaigns: spec.campaigns, vendorWorkspaceId: spec.vendorWorkspaceId };
    const subWorkspaces = [...new Set(spec.subWorkspaces ?? [])];
    if (subWorkspaces.length === 0) return account;
    if (provider !== undefined && provider !== 'instantly') {
      throw new Error(`simulator account ${label}: subWorkspaces is Instantly only (x-as-workspace), not ${provider}`);
    }
    return { ...account, subWorkspaces };
  });
  // Sub-workspace ids must each name exactly one OTHER account, so a typo fails at start-up
  // instead of as a 403 in the middle of a test.
  for (const account of accounts) {
    for (const id of account.subWorkspaces ?? []) {
      // An empty or space-padded id could never arrive: HTTP trims header values, and the simulator
      // treats an empty `x-as-workspace` as absent.
      if (id === '' || id !== id.trim()) {
        throw new Error(`simulator account ${account.label}: subWorkspaces entry "${id}" is empty or has surrounding spaces`);
      }
      const targets = accounts.filter((other) => other.vendorWorkspaceId === id);
      if (targets.length === 0) {
        throw new Error(`simulator account ${account.label}: subWorkspaces lists "${id}", which is no account's vendorWorkspaceId`);
      }
      if (targets.length > 1) {
        throw new Error(`simulator account ${account.label}: subWorkspaces lists "${id}", which is the vendorWorkspaceId of ${targets.length} accounts`);
      }
      if (targets[0] === account) {
        throw new Error(`simulator account ${account.label}: subWorkspaces lists "${id}", its own vendorWorkspaceId (list other accounts only)`);
      }
    }
  }
  return accounts;
}

/**
 * Generates an account's campaigns for one vendor, oldest first (`createdMs` strictly increasing
 * with the index). Fast: a few dozen PRNG draws per campaign, no per-day arrays.
 */
export function generateCampaigns<S>(
  account: SimulatorAccount,
  env: DataEnv,
  statuses: readonly StatusOption<S>[],
): CampaignCore<S>[] {
  const start = (env.referenceDay - HISTORY_DAYS) * DAY_MS;
  const slot = ((HISTORY_DAYS - 1) * DAY_MS) / Math.max(1, account.campaigns);
  const out: CampaignCore<S>[] = [];
  for (let index = 0; index < account.campaigns; index += 1) {
    const seed = hashSeed(account.seed, env.provider, index);
    const rng = mulberry32(seed);
    const option = pickWeighted(rng, statuses);
    const name = `${account.label} ${pick(rng, THEMES)} - ${pick(rng, AUDIENCES)} #${index + 1}`;
    const createdMs = Math.floor(start + (index + rng() * 0.9) * slot);
    const createdDay = epochDay(createdMs);
    const firstDay = Math.min(createdDay + intBetween(rng, 0, 3), env.referenceDay);
    const duration = intBetween(rng, 7, 150);
    const curve = between(rng, 0.6, 1.6);
    const leads = Math.round(Math.exp(between(rng, Math.log(40), Math.log(6000))));
    const running = option.kind === 'running';

    // Draw every number whatever the kind, so the stream (and the bytes) stay stable.
    const contacted = Math.floor(leads * (running ? between(rng, 0.25, 0.95) : between(rng, 0.8, 1)));
    const newLeadsContacted = Math.floor(contacted * between(rng, 0.85, 1));
    const emailsSent = contacted + Math.floor(contacted * between(rng, 0.2, 2.6));
    const opened = Math.floor(contacted * between(rng, 0.15, 0.65));
    const opens = opened + Math.floor(opened * between(rng, 0.2, 1.5));
    const openedByStep = opened + Math.floor(opened * between(rng, 0.05, 0.5));
    const clicked = Math.floor(opened * between(rng, 0.02, 0.25));
    const clicks = clicked + Math.floor(clicked * between(rng, 0, 0.8));
    const clickedByStep = clicked + Math.floor(clicked * between(rng, 0, 0.3));
    const replied = Math.floor(contacted * between(rng, 0.005, 0.09));
    const repliedByStep = replied + Math.floor(replied * between(rng, 0, 0.15));
    const autoReplied = Math.floor(contacted * between(rng, 0, 0.04));
    const autoReplies = autoReplied + Math.floor(autoReplied * between(rng, 0, 0.3));
    const autoRepliedByStep = autoReplied + Math.floor(autoReplied * between(rng, 0, 0.2));
    const replies = replied + autoReplies + Math.floor(replied * between(rng, 0, 0.25));
    const bounced = Math.floor(contacted * between(rng, 0, 0.05));
    const unsubscribed = Math.floor(contacted * between(rng, 0, 0.02));
    const completedShare = option.kind === 'ended' ? between(rng, 0.6, 1) : between(rng, 0, 0.6);
    const completed = Math.floor(contacted * completedShare);
    const interested = Math.floor(replied * between(rng, 0.1, 0.55));
    const meetings = Math.floor(interested * between(rng, 0.2, 0.8));
    const won = Math.floor(meetings * between(rng, 0, 0.6));
    const invitesSent = Math.floor(contacted * between(rng, 0.4, 1));
    const invitesAccepted = Math.floor(invitesSent * between(rng, 0.15, 0.55));
    const linkedinMessages = invitesAccepted + Math.floor(invitesAccepted * between(rng, 0, 1.8));
    const dealValue = intBetween(rng, 5, 60) * 100;
    const updatedMs = Math.min(createdMs + Math.floor(rng() * 30 * DAY_MS), (env.referenceDay + 1) * DAY_MS - 1);

    const draft = option.kind === 'draft';
    const lastDay = running ? env.referenceDay : Math.min(firstDay + duration, env.referenceDay);
    const totals: Totals = draft
      ? ZERO_TOTALS
      : {
          contacted,
          newLeadsContacted,
          emailsSent,
          opens,
          opened,
          openedByStep,
          clicks,
          clicked,
          clickedByStep,
          replies,
          replied,
          repliedByStep,
          autoReplies,
          autoReplied,
          autoRepliedByStep,
          bounced,
          unsubscribed,
          completed,
          interested,
          meetings,
          won,
          invitesSent,
          invitesAccepted,
          linkedinMessages,
        };
    out.push({
      index,
      seed,
      name,
      status: option.value,
      kind: option.kind,
      createdMs,
      updatedMs,
      activity: draft ? null : { firstDay, lastDay, curve },
      leads,
      totals,
      dealValue,
    });
  }
  return out;
}

const ZERO_TOTALS: Totals = {
  contacted: 0,
  newLeadsContacted: 0,
  emailsSent: 0,
  opens: 0,
  opened: 0,
  openedByStep: 0,
  clicks: 0,
  clicked: 0,
  clickedByStep: 0,
  replies: 0,
  replied: 0,
  repliedByStep: 0,
  autoReplies: 0,
  autoReplied: 0,
  autoRepliedByStep: 0,
  bounced: 0,
  unsubscribed: 0,
  completed: 0,
  interested: 0,
  meetings: 0,
  won: 0,
  invitesSent: 0,
  invitesAccepted: 0,
  linkedinMessages: 0,
};

/** Computes a value once, on first use. */
export class Lazy<T> {
  private value: { readonly v: T } | undefined;

  constructor(private readonly make: () => T) {}

  get(): T {
    this.value ??= { v: this.make() };
    return this.value.v;
  }
}

/**
 * Finds the first index whose key is greater than `key` in an array sorted ascending by `keyOf`
 * (binary search), for "starting after" cursors.
 */
export function firstIndexAfter<T>(items: readonly T[], key: string, keyOf: (item: T) => string): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const item = items[mid];
    if (item !== undefined && keyOf(item) <= key) low = mid + 1;
    else high = mid;
  }
  return low;
}
