/**
 * Where a public document is read when it has no source URL of its own (an upload): the read-only
 * article page Parley serves, one stable address per document. The organization is part of the path,
 * so a document id is only ever read under its own organization.
 */
export const articlePath = (organizationId: string, documentId: string): string =>
  `/articles/${organizationId}/${documentId}`;

/** The article page's absolute URL (citations leave Parley's origin), with a section's anchor. */
export const articleUrl = (
  publicUrl: string,
  organizationId: string,
  documentId: string,
  anchor: string | null = null,
): string =>
  `${publicUrl.replace(/\/+$/, '')}${articlePath(organizationId, documentId)}${anchor ? `#${encodeURIComponent(anchor)}` : ''}`;
