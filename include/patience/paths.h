/* Where the daemon's socket and state live (XDG base directories). */
#ifndef PATIENCE_PATHS_H
#define PATIENCE_PATHS_H

#include <stddef.h>

/* $XDG_RUNTIME_DIR/patience/daemon.sock, else /tmp/patience-$UID/daemon.sock.
 * Returns PT_OK or PT_ERANGE when buf is too small. */
int pt_default_socket_path(char *buf, size_t len);

/* The system-wide daemon's socket (packaging/patience-daemon-system.service):
 * clients on their default socket use it when no daemon of their user
 * answers. PATIENCE_SYSTEM_SOCKET names another. */
#define PT_SYSTEM_SOCKET "/run/patience/daemon.sock"

/* $XDG_STATE_HOME/patience/state.db, else $HOME/.local/state/patience/state.db.
 * PT_ENOENT when neither XDG_STATE_HOME nor HOME is set. */
int pt_default_state_path(char *buf, size_t len);

/* Create the directory that will hold file_path (and its parents), the last
 * one with mode 0700; an existing last directory must be owned by us and
 * not writable by others, else PT_EINVAL (someone could swap our socket).
 * Returns PT_OK, PT_EINVAL or PT_EIO, with the reason in err. */
int pt_make_private_dir_for(const char *file_path, char *err, size_t err_len);

#endif
