//! What a dfu-util run really did, from its output and exit status (particle-facts.md §7).
//! "File downloaded successfully" is the success marker; the `Error during download get_status`
//! that follows it when a Particle device resets after the leave request is not a failure.

use super::{FlashError, ToolRun};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// dfu-util exited 0.
    Clean,
    /// "File downloaded successfully", then the harmless get_status error of a device that
    /// reset as asked (exit 74).
    LeftWithStatusError,
}

fn has(run: &ToolRun, text: &str) -> bool {
    run.stdout.contains(text) || run.stderr.contains(text)
}

/// The last `dfu-util:` messages, for reports.
fn messages(run: &ToolRun) -> String {
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .map(|l| l.trim_start_matches("dfu-util: ").trim())
        .filter(|l| !l.is_empty() && !l.contains("DFU suffix") && !l.contains("valid DFU suffix"))
        .collect();
    let start = lines.len().saturating_sub(3);
    if lines.is_empty() {
        "no error message".to_string()
    } else {
        lines[start..].join("; ")
    }
}

fn status(run: &ToolRun) -> String {
    match run.code {
        Some(c) => format!("exit status {c}"),
        None => "killed by a signal".to_string(),
    }
}

/// Errors every dfu-util command can end with.
fn common(run: &ToolRun, address: u32) -> FlashError {
    let line_with = |text: &str| {
        run.stderr
            .lines()
            .find(|l| l.contains(text))
            .map(|l| l.trim_start_matches("dfu-util: ").to_string())
            .unwrap_or_default()
    };
    if has(run, "Cannot open DFU device") {
        FlashError::CannotOpen {
            line: line_with("Cannot open DFU device"),
        }
    } else if has(run, "No DFU capable USB device available") {
        FlashError::NoDevice { wanted: None }
    } else if has(run, "More than one DFU capable USB device found") {
        FlashError::SeveralDevices {
            devices: Vec::new(),
        }
    } else if has(run, "is not writeable")
        || has(run, "not correctly executed")
        // dfu-util 0.11 when the bootloader stalls an erase (a protected or unknown address).
        || has(run, "Error during special command \"ERASE_PAGE\"")
    {
        FlashError::NotWritable {
            address,
            message: messages(run),
        }
    } else if has(run, "does not match device") {
        FlashError::WrongDevice {
            message: line_with("does not match device"),
        }
    } else {
        FlashError::Failed {
            status: status(run),
            message: messages(run),
        }
    }
}

pub fn download(run: &ToolRun, address: u32) -> Result<Note, FlashError> {
    let succeeded = run.stdout.contains("File downloaded successfully");
    if run.code == Some(0) && succeeded {
        return Ok(Note::Clean);
    }
    if succeeded && run.code.is_some() {
        // After the success line, only the leave request's get_status error is harmless.
        let after: Vec<&str> = run
            .stderr
            .lines()
            .map(|l| l.trim_start_matches("dfu-util: ").trim())
            .filter(|l| {
                !l.is_empty() && !l.contains("DFU suffix") && !l.contains("valid DFU suffix")
            })
            .collect();
        if !after.is_empty()
            && after
                .iter()
                .all(|l| l.starts_with("Error during download get_status"))
        {
            return Ok(Note::LeftWithStatusError);
        }
    }
    if run.code == Some(0) {
        return Err(FlashError::Failed {
            status: status(run),
            message: "dfu-util exited 0 without \"File downloaded successfully\"".into(),
        });
    }
    Err(common(run, address))
}

/// `dfu-util -l` (run as `exe`) that did not end with status 0.
pub fn listing_failed(run: &ToolRun, exe: &std::path::Path) -> FlashError {
    let silent = run.stdout.trim().is_empty() && run.stderr.trim().is_empty();
    FlashError::ListFailed {
        exe: exe.to_path_buf(),
        status: status(run),
        message: if silent {
            "it printed nothing".into()
        } else {
            messages(run)
        },
    }
}

pub fn upload(run: &ToolRun) -> Result<(), FlashError> {
    if run.code == Some(0) {
        return Ok(());
    }
    Err(common(run, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: i32, stdout: &str, stderr: &str) -> ToolRun {
        ToolRun {
            code: Some(code),
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn get_status_error_after_success_is_success() {
        let r = run(
            74,
            "Download done.\nFile downloaded successfully\nSubmitting leave request...\n",
            "dfu-util: Warning: Invalid DFU suffix signature\ndfu-util: A valid DFU suffix will be required in a future dfu-util release\ndfu-util: Error during download get_status\n",
        );
        assert_eq!(
            download(&r, 0x080A_0000).unwrap(),
            Note::LeftWithStatusError
        );
        let r = run(0, "File downloaded successfully\n", "");
        assert_eq!(download(&r, 0).unwrap(), Note::Clean);
    }

    #[test]
    fn get_status_error_without_success_is_a_failure() {
        let r = run(
            74,
            "Download\t[====   ]  40%\n",
            "dfu-util: Error during download get_status\n",
        );
        let e = download(&r, 0x0802_0000).unwrap_err();
        assert!(matches!(e, FlashError::Failed { .. }), "{e:?}");
        assert!(
            e.to_string().contains("Error during download get_status"),
            "{e}"
        );
        // Success line but another error after it: not hidden.
        let r = run(
            74,
            "File downloaded successfully\n",
            "dfu-util: Error during download get_status\ndfu-util: something else\n",
        );
        assert!(download(&r, 0).is_err());
        // Exit 0 without the success marker is not trusted.
        assert!(download(&run(0, "", ""), 0).is_err());
    }

    #[test]
    fn classifies_the_known_failures() {
        let no = run(74, "", "dfu-util: No DFU capable USB device available\n");
        assert!(matches!(download(&no, 0), Err(FlashError::NoDevice { .. })));
        let perm = run(
            74,
            "",
            "dfu-util: Cannot open DFU device 2b04:d006 found on devnum 5 (LIBUSB_ERROR_ACCESS)\ndfu-util: No DFU capable USB device available\n",
        );
        match download(&perm, 0) {
            Err(FlashError::CannotOpen { line }) => assert!(
                line.starts_with("Cannot open DFU device 2b04:d006"),
                "{line}"
            ),
            other => panic!("{other:?}"),
        }
        let many = run(
            74,
            "",
            "dfu-util: More than one DFU capable USB device found! Try `--list' and specify the serial number or disconnect all but one device\n",
        );
        assert!(matches!(
            download(&many, 0),
            Err(FlashError::SeveralDevices { .. })
        ));
        let prot = run(
            74,
            "",
            "dfu-util: Last page at 0x08000000 is not writeable\n",
        );
        assert!(matches!(
            download(&prot, 0x0800_0000),
            Err(FlashError::NotWritable {
                address: 0x0800_0000,
                ..
            })
        ));
        let id = run(
            74,
            "",
            "dfu-util: Error: File ID 2b04:d006 does not match device (2b04:d00a or 2b04:d00a)\n",
        );
        assert!(matches!(
            download(&id, 0),
            Err(FlashError::WrongDevice { .. })
        ));
        assert!(matches!(upload(&no), Err(FlashError::NoDevice { .. })));
        assert!(upload(&run(0, "Upload done.", "")).is_ok());
    }
}
