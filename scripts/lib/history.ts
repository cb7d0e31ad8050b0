import type { temporal } from '@temporalio/proto';

/**
 * Activity timings read from a workflow's history. Regular activities have started and completed
 * events. Local activities leave one marker each, when the workflow task that ran them completes,
 * carrying the time the activity completed ("workflow task start + the activity's run time", in
 * Temporal's words): the local activities of one workflow task therefore cover the span from that
 * task's start to the last of their completion times.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Timestamp =
  { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined;

export interface ActivityInterval {
  type: string;
  start: number;
  end: number;
}

const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

const timestampMs = (t: Timestamp): number => {
  const seconds = typeof t?.seconds === 'number' ? t.seconds : (t?.seconds?.toNumber() ?? 0);
  return seconds * 1000 + (t?.nanos ?? 0) / 1e6;
};

export const eventMs = (event: HistoryEvent): number => timestampMs(event.eventTime);

const id = (value: unknown): string => String(value);

interface MarkerData {
  activity_type?: string;
  activityType?: string;
  complete_time?: Timestamp | string;
  completeTime?: Timestamp | string;
}

function markerData(event: HistoryEvent): MarkerData | undefined {
  const payload = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0];
  if (!payload?.data) return undefined;
  return JSON.parse(Buffer.from(payload.data).toString('utf8')) as MarkerData;
}

const completionMs = (data: MarkerData): number => {
  const value = data.complete_time ?? data.completeTime;
  return typeof value === 'string' ? Date.parse(value) : timestampMs(value);
};

export function activityIntervals(events: HistoryEvent[]): ActivityInterval[] {
  const byId = new Map(events.map((e) => [id(e.eventId), e]));
  const intervals: ActivityInterval[] = [];
  const localByTask = new Map<string, { start: number; end: number; types: string[] }>();
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
      if (!data || !taskStarted) continue;
      const key = id(taskStarted.eventId);
      const group = localByTask.get(key) ?? { start: eventMs(taskStarted), end: 0, types: [] };
      group.end = Math.max(group.end, completionMs(data));
      group.types.push(data.activity_type ?? data.activityType ?? 'local');
      localByTask.set(key, group);
    }
  }
  for (const group of localByTask.values()) {
    intervals.push({ type: `local ${group.types.join('+')}`, start: group.start, end: group.end });
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
