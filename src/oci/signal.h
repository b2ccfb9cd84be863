/* Signal names as runc accepts them: "KILL", "SIGKILL", "9", "SIGRTMIN+3". */
#ifndef GASANG_OCI_SIGNAL_H
#define GASANG_OCI_SIGNAL_H

/* Returns the signal number or -EINVAL. */
int signal_parse(const char *s);

#endif
