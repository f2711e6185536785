import type { Incident } from '../contracts.ts';
import type { AdviceProposal, AdviceResult, FixAdvisor } from '../ports/fix-advisor.ts';
import { isProposal } from '../ports/fix-advisor.ts';
import type { RepoWorkspace } from '../ports/repo-workspace.ts';
import type { SyntaxChecker } from '../ports/syntax-checker.ts';
import {
  applyFixProposal,
  type ChangedFile,
  describeRejections,
  type EditPolicy,
  type EditRejection,
  traceLanguages,
} from '../repair/edit-policy.ts';
import type { RevisionPrompt } from './build-revision-prompt.ts';

export type RevisionAttempt =
  | { kind: 'applied'; advice: AdviceProposal; files: ChangedFile[] }
  | { kind: 'not_applied'; advice: AdviceResult; rejections: EditRejection[] };

/**
 * Asks the model for a revision of a pushed fix and writes it into `workspace` under the edit
 * policy (the trace's languages, the files the diff names); a rejected proposal gets one more
 * round with the rejections as feedback. Used for reviewer/CI revisions and failing local tests.
 */
export async function proposeRevision({
  advisor,
  prompt,
  workspace,
  sample,
  policy,
  syntax,
}: {
  advisor: FixAdvisor;
  prompt: RevisionPrompt;
  workspace: RepoWorkspace;
  sample: Incident['sample'];
  policy: EditPolicy;
  /** refuses a revision that leaves an edited script unparseable */
  syntax?: SyntaxChecker | undefined;
}): Promise<RevisionAttempt> {
  let advice: AdviceResult = await advisor.advise({
    system: prompt.system,
    prompt: prompt.prompt,
    repo: workspace,
  });
  let rejections: EditRejection[] = [];
  for (let round = 0; round < 2 && isProposal(advice); round++) {
    const outcome = await applyFixProposal({
      proposal: advice.proposal,
      repo: workspace,
      implicatedPaths: prompt.implicatedPaths,
      languages: traceLanguages(sample),
      policy,
      ...(syntax ? { syntax } : {}),
    });
    if (outcome.kind === 'applied') {
      for (const file of outcome.files) await workspace.writeFile(file.path, file.after);
      return { kind: 'applied', advice, files: outcome.files };
    }
    rejections = outcome.rejections;
    if (round === 0) advice = await advice.reject(describeRejections(rejections));
  }
  return { kind: 'not_applied', advice, rejections };
}
