import type { temporal } from '@temporalio/proto';

/**
 * Where a workflow's wall time went, read from its history: activities, workflow tasks, and the rest.
 *
 * - Regular activities have started and completed events.
 * - Local activities leave one marker each, recorded with the workflow task that ran them. The marker
 *   carries when the activity was scheduled (`original_schedule_time`, the worker's clock) and a
 *   completion time in workflow time: the start of the workflow task that scheduled it plus the
 *   activity's run time. Each local activity therefore runs from its scheduling for that run time
 *   (kept inside its workflow task, against a little clock skew between worker and server).
 * - A workflow task runs from its started to its completed event: the worker replaying and advancing
 *   the workflow code, and running the local activities it scheduled. Its own time is what remains
 *   once those local activities are taken out.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Timestamp =
  { seconds?: { toNumber(): number } | number | string | null; nanos?: number | null } | null | undefined;

export interface ActivityInterval {
  type: string;
  start: number;
  end: number;
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

const timestampMs = (t: Timestamp): number => {
  const raw = t?.seconds;
  const seconds = typeof raw === 'object' && raw !== null ? raw.toNumber() : Number(raw ?? 0);
  return seconds * 1000 + (t?.nanos ?? 0) / 1e6;
};

export const eventMs = (event: HistoryEvent): number => timestampMs(event.eventTime);

const id = (value: unknown): string => String(value);

interface MarkerData {
  activity_type?: string;
  activityType?: string;
  complete_time?: Timestamp | string;
  completeTime?: Timestamp | string;
  original_schedule_time?: Timestamp | string;
  originalScheduleTime?: Timestamp | string;
}

function markerData(event: HistoryEvent): MarkerData | undefined {
  const payload = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0];
  if (!payload?.data) return undefined;
  const bytes =
    typeof payload.data === 'string' ? Buffer.from(payload.data, 'base64') : Buffer.from(payload.data);
  return JSON.parse(bytes.toString('utf8')) as MarkerData;
}

const timeMs = (value: Timestamp | string | undefined): number | undefined =>
  value === undefined || value === null
    ? undefined
    : typeof value === 'string'
      ? Date.parse(value)
      : timestampMs(value);

/** The workflow tasks of a history, each from its started to its completed event. */
export function workflowTaskIntervals(events: HistoryEvent[]): ActivityInterval[] {
  const byId = new Map(events.map((e) => [id(e.eventId), e]));
  return events.flatMap((event) => {
    const completed = event.workflowTaskCompletedEventAttributes;
    const started = completed && byId.get(id(completed.startedEventId));
    return started ? [{ type: 'workflow task', start: eventMs(started), end: eventMs(event) }] : [];
  });
}

export function activityIntervals(events: HistoryEvent[]): ActivityInterval[] {
  const byId = new Map(events.map((e) => [id(e.eventId), e]));
  const taskStarts = events.filter((e) => e.workflowTaskStartedEventAttributes).map(eventMs);
  const intervals: ActivityInterval[] = [];
  for (const event of events) {
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const scheduled = byId.get(id(completed.scheduledEventId));
      const started = byId.get(id(completed.startedEventId));
      if (scheduled && started) {
        intervals.push({
          type: scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? 'activity',
          start: eventMs(started),
          end: eventMs(event),
        });
      }
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
      const data = markerData(event);
      const taskCompleted = byId.get(id(marker.workflowTaskCompletedEventId));
      const taskStarted = byId.get(id(taskCompleted?.workflowTaskCompletedEventAttributes?.startedEventId));
      const completion = data && timeMs(data.complete_time ?? data.completeTime);
      if (!data || !taskCompleted || !taskStarted || completion === undefined) continue;
      const taskEnd = eventMs(taskCompleted);
      const scheduledAt = timeMs(data.original_schedule_time ?? data.originalScheduleTime);
      // The workflow time it was scheduled at: the start of the last workflow task before it.
      const workflowTime =
        scheduledAt === undefined
          ? eventMs(taskStarted)
          : Math.max(...taskStarts.filter((t) => t <= scheduledAt), eventMs(taskStarted));
      const runMs = Math.max(0, completion - workflowTime);
      const start = Math.min(Math.max(scheduledAt ?? workflowTime, eventMs(taskStarted)), taskEnd);
      intervals.push({
        type: `local ${data.activity_type ?? data.activityType ?? 'activity'}`,
        start,
        end: Math.min(start + runMs, taskEnd),
      });
    }
  }
  return intervals;
}

/** The time covered by at least one interval (activities that ran in parallel count once). */
export function coveredMs(intervals: ActivityInterval[]): number {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  let total = 0;
  let end = -Infinity;
  for (const { start, end: stop } of sorted) {
    if (stop <= end) continue;
    total += stop - Math.max(start, end);
    end = stop;
  }
  return total;
}

export interface WorkflowTimes {
  /** Workflow started → its last event. */
  wall: number;
  /** Covered by activities, regular and local. */
  activities: number;
  /** Covered by local activities alone (part of `activities`). */
  localActivities: number;
  /** Covered by workflow tasks, less the local activities they ran: the worker's workflow code and SDK. */
  workflowTasks: number;
  /** wall − activities: what orchestration cost, workflow tasks included. */
  overhead: number;
  intervals: ActivityInterval[];
}

export function workflowTimes(events: HistoryEvent[]): WorkflowTimes {
  const intervals = activityIntervals(events);
  const local = intervals.filter((i) => i.type.startsWith('local '));
  const wall = eventMs(events[events.length - 1]!) - eventMs(events[0]!);
  const activities = coveredMs(intervals);
  const localActivities = coveredMs(local);
  return {
    wall,
    activities,
    localActivities,
    // Local activities lie inside their workflow tasks (see activityIntervals).
    workflowTasks: coveredMs(workflowTaskIntervals(events)) - localActivities,
    overhead: wall - activities,
    intervals,
  };
}
