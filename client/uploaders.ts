/**
 * Uploaders for external uploads (`allowUpload(name, { external })`), keyed by the `uploader`
 * name the server's metadata gives. Built in: `S3`, a presigned POST (`{ uploader: "S3", url,
 * fields }`, the form fields first and the file last), with upload progress; a status other than
 * 2xx, a network error or a disconnected view fails the entry (`external_client_failure`).
 */

/** The part of the client's `UploadEntry` an uploader uses. */
export interface ExternalEntry {
  readonly file: File;
  readonly meta: { url: string; fields: Record<string, string> };
  progress(percent: number): void;
  error(reason?: string): void;
}

export type Uploader = (
  entries: ExternalEntry[],
  onViewError: (callback: () => void) => void,
) => void;

/** S3 (and MinIO, R2, …) presigned POST. */
export const S3: Uploader = (entries, onViewError) => {
  for (const entry of entries) {
    const form = new FormData();
    for (const [name, value] of Object.entries(entry.meta.fields)) form.append(name, value);
    form.append("file", entry.file);
    const xhr = new XMLHttpRequest();
    onViewError(() => xhr.abort());
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300 ? entry.progress(100) : entry.error();
    xhr.onerror = () => entry.error();
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((event.loaded / event.total) * 100);
      // 100 only once the storage answered: the entry is done then.
      if (percent < 100) entry.progress(percent);
    });
    xhr.open("POST", entry.meta.url, true);
    xhr.send(form);
  }
};
