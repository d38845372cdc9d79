/** One file of the web UI's bundle, served at `/admin/assets/<name>`. */
export interface UiAsset {
  /** File name with a content hash (`main-3f2a….js`), so it can be cached for good. */
  name: string;
  /** `entry-point` (the script), `asset`, or whatever else Bun's bundler calls an output. */
  kind: string;
  contentType: string;
  body: string;
}
