//! `wangge residents import`: a household register (CSV) into the workspace's `residents`
//! table, replacing the one before in one transaction. Personal data: the server shows it in
//! full to the admin and to grid workers in their own grid, masked to street offices, and to
//! nobody else.

use std::path::PathBuf;
use wangge_io::residents::{ResidentColumns, read_residents};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Replace the residents with a register (CSV, UTF-8 or GBK): one row per resident with
    /// an address point key and a name, optionally a phone, a resident ID number and the
    /// building unit (单元: places residents of an address point split over grids).
    Import {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// The register (.csv, or an Excel workbook .xlsx/.xls/.ods).
        file: PathBuf,
        /// Column of the address point key (default: address_key, address, 地址编码).
        #[arg(long)]
        address_field: Option<String>,
        /// Column of the name (default: name, 姓名).
        #[arg(long)]
        name_field: Option<String>,
        /// Column of the phone (default: phone, 电话, 联系电话, 手机).
        #[arg(long)]
        phone_field: Option<String>,
        /// Column of the resident ID number (default: id_number, 身份证号, 证件号码).
        #[arg(long)]
        id_field: Option<String>,
        /// Column of the building unit (default: unit, 单元, 单元号).
        #[arg(long)]
        unit_field: Option<String>,
        /// Text encoding (detected: UTF-8, else GBK).
        #[arg(long)]
        encoding: Option<String>,
        /// The sheet of a workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
    },
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Import {
            workspace,
            file,
            address_field,
            name_field,
            phone_field,
            id_field,
            unit_field,
            encoding,
            sheet,
        } => {
            let rows = read_residents(
                file,
                &ResidentColumns {
                    address: address_field.clone(),
                    name: name_field.clone(),
                    phone: phone_field.clone(),
                    id_number: id_field.clone(),
                    unit: unit_field.clone(),
                    encoding: encoding.clone(),
                    sheet: sheet.clone(),
                },
            )?;
            let mut store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &mut *store;
            let n = store.replace_residents(&rows)?;
            let addresses: std::collections::HashSet<&str> =
                rows.iter().map(|r| r.address_key.as_str()).collect();
            store.audit(
                "cli",
                "admin",
                "residents.import",
                &format!("{n} residents from {}", file.display()),
            )?;
            println!(
                "{n} residents at {} address points imported into {} (the residents before were replaced)",
                addresses.len(),
                wangge_app::shown(workspace)
            );
            println!(
                "wangge serve shows them in full to admin tokens and to grid workers in their own grid, masked to street offices, and to no other role"
            );
        }
    }
    Ok(())
}
