import type { GeminiClientLike, VideoOperationLike } from "./gemini-client.js";

/**
 * Looks a video operation up by name through the SDK's `operations.getVideosOperation`, which takes the SDK's own
 * `GenerateVideosOperation` (it builds its answer through that class): so `@google/genai` is loaded here, and only
 * when a video is tracked. The app that passed a client has it installed.
 */
export async function getVideoOperation(client: GeminiClientLike, name: string): Promise<VideoOperationLike> {
  if (typeof client.operations?.getVideosOperation !== "function")
    throw new TypeError(
      "the client has no operations.getVideosOperation: pass new GoogleGenAI(...) from @google/genai",
    );
  const { GenerateVideosOperation } = await import("@google/genai");
  const operation = Object.assign(new GenerateVideosOperation(), { name });
  return client.operations.getVideosOperation({ operation });
}
