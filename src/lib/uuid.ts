const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID in its canonical text form (what PostgreSQL's uuid columns take). */
export const isUuid = (value: string): boolean => UUID.test(value);
