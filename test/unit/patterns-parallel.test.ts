import {
  branchesByName,
  branchesText,
  branchRole,
  fanInPrompt,
  nodeFailureMessage,
} from '../../src/patterns/parallel';

const answers = [
  { name: 'optimist', text: 'It will work.' },
  { name: 'skeptic', text: 'It will not work.' },
];

describe('parallel pieces', () => {
  test('branch roles count from one', () => {
    expect(branchRole(0, 3)).toBe('branch 1/3');
    expect(branchRole(2, 3)).toBe('branch 3/3');
  });

  test('answers keyed by branch name, and as text under headers in branch order', () => {
    expect(branchesByName(answers)).toEqual({ optimist: 'It will work.', skeptic: 'It will not work.' });
    expect(branchesText(answers)).toBe('## optimist\n\nIt will work.\n\n## skeptic\n\nIt will not work.');
  });

  test("the fan-in prompt holds the task and each branch's answer under its name", () => {
    const prompt = fanInPrompt('Will it work?', answers);
    expect(prompt).toContain('2 agents');
    expect(prompt).toContain('# Task\n\nWill it work?');
    expect(prompt.indexOf('## optimist\n\nIt will work.')).toBeGreaterThan(prompt.indexOf('# Answers'));
    expect(prompt.indexOf('## skeptic\n\nIt will not work.')).toBeGreaterThan(prompt.indexOf('## optimist'));
  });

  test('a structured task is shown as JSON', () => {
    expect(fanInPrompt({ question: 'why?' }, answers)).toContain('"question": "why?"');
  });

  test('a failure names the node', () => {
    expect(nodeFailureMessage('Branch', 'skeptic', 'boom')).toBe('Branch "skeptic" failed: boom');
    expect(nodeFailureMessage('Fan-in', 'judge', 'boom')).toBe('Fan-in "judge" failed: boom');
  });
});
