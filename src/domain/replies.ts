/** What the assistant says when it does not answer from the knowledge base. */
export const replies = {
  abstain:
    "I'm sorry, I couldn't find an answer to that in our help articles, and I'd rather not guess. " +
    'Would you like me to connect you with a member of our team?',
  escalated:
    "I'm connecting you with a member of our team now. They can see this conversation, so you won't " +
    'need to repeat yourself. Someone will reply here shortly.',
  quotaExceeded:
    "Our assistant isn't available right now. You can still reach a member of our team: leave your " +
    'question and your email address here and we will get back to you.',
};
